"""``hlsstudio-cli``: the headless front door over the same core the desktop app drives."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from hlsstudio import __version__
from hlsstudio.cli import builds, engine, farm, jobs, publishing, transcode
from hlsstudio.cli.output import fail
from hlsstudio.core.errors import ConfigError, HlsStudioError
from hlsstudio.core.logs import setup_logging
from hlsstudio.core.storage.config import ENV_HINT

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered by its module."""
    parser = argparse.ArgumentParser(
        prog="hlsstudio-cli",
        description="Turn source videos into adaptive HLS and publish it to R2 or a local folder.",
    )
    parser.add_argument("--version", action="version", version=f"hlsstudio {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="print technical details on failure")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (engine, transcode, publishing, builds, jobs, farm):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run one command, return its exit status (never a traceback for known errors)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(verbose=args.verbose, console=False)
    try:
        status: int = args.handler(args)
        return status
    except HlsStudioError as exc:
        hint = isinstance(exc, ConfigError) and exc.detail.startswith(ENV_HINT)  # how, without the app
        return fail(exc.message, exc.detail if args.verbose or hint else "")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line for the user, the traceback in the log
        log.exception("unexpected error")
        if args.verbose:
            raise
        return fail(f"internal error: {type(exc).__name__}: {exc} (details in the log)")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
