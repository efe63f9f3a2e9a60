"""``gc``: remove the builds of published titles that were replaced longer ago than the grace period."""

from __future__ import annotations

import argparse
from typing import Any

from hlsstudio.cli.common import content_args, open_destination
from hlsstudio.cli.output import fail, load_settings, print_json
from hlsstudio.core.storage import content_prefix
from hlsstudio.core.sweep import SweepReport, sweep_all, sweep_title

HOUR = 3600.0


def register(sub: Any) -> None:
    """Add the ``gc`` sub-command."""
    gc = sub.add_parser(
        "gc", help="remove replaced builds of published titles once their grace period is over"
    )
    content_args(gc, required=False)
    gc.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    gc.add_argument(
        "--grace-hours", type=float, metavar="H", help="keep replaced builds this long (default: settings)"
    )
    gc.add_argument("--json", action="store_true", help="print a JSON list, one object per title")
    gc.set_defaults(handler=cmd_gc)


def _describe(report: SweepReport, dry_run: bool) -> str:
    removed = len(report.removed)
    verb = "would remove" if dry_run else "removed"
    text = f"{report.prefix}: live {report.live or 'none'}"
    if removed:
        text += f"; {verb} {removed} old build{'s' * (removed != 1)} ({report.keys_removed} objects)"
    if report.waiting:
        hours = min(report.waiting.values()) / HOUR
        count = len(report.waiting)
        text += f"; {count} old build{'s' * (count != 1)} kept (the next can go in {hours:.1f} h)"
    return text


def cmd_gc(args: argparse.Namespace) -> int:
    """Sweep one title (``--content-type`` + ``--content-id``) or every title at the destination."""
    if (args.content_type is None) != (args.content_id is None):
        return fail("gc needs both --content-type and --content-id, or neither (every title)")
    settings = load_settings()
    hours = settings.destination.build_grace_hours if args.grace_hours is None else args.grace_hours
    if hours < 0:
        return fail("--grace-hours must be 0 or more")
    destination = open_destination(settings, "using")
    grace = hours * HOUR
    if args.content_id is not None:
        prefix = content_prefix(args.content_type, args.content_id)
        reports = [sweep_title(destination, prefix, grace_seconds=grace, dry_run=args.dry_run)]
    else:
        reports = sweep_all(destination, grace_seconds=grace, dry_run=args.dry_run)
    if args.json:
        print_json(
            [
                {
                    "prefix": r.prefix,
                    "live_build": r.live,
                    "removed_builds": r.removed,
                    "objects_removed": 0 if args.dry_run else r.keys_removed,
                    "objects_to_remove": r.keys_removed if args.dry_run else 0,
                    "waiting_builds": {b: round(s) for b, s in r.waiting.items()},
                    "dry_run": args.dry_run,
                }
                for r in reports
            ]
        )
        return 0
    if not reports:
        print(f"nothing published in {destination.description}")
    for report in reports:
        print(_describe(report, args.dry_run))
    return 0
