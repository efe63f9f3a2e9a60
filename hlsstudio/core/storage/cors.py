"""Whether web players may load videos from a bucket (CORS), and the rule that lets them.

A player on a web page (hls.js) fetches playlists and segments with ``GET``/``HEAD`` from the
page's origin; the browser refuses every answer unless the bucket's CORS rules allow that origin.
Byte-range requests (I-frame playlists) send a ``Range`` header, so a rule must also allow that
header (or ``*``). ``ExposeHeaders`` with ``Content-Length``, ``Content-Range`` and ``ETag`` is good
practice. ``check_cors`` reads the rules and says in plain words what a player can do;
``set_cors`` adds one rule of this app's own (ID ``hlsstudio-players``) to the rules already there
and, when the store refuses, returns the JSON to paste into the storage dashboard instead. Cloudflare
R2 implements GetBucketCors/PutBucketCors on its S3 endpoint, but an API token with object
permissions only may be refused; its dashboard takes a JSON list of rules
(AllowedOrigins, AllowedMethods, AllowedHeaders, ExposeHeaders, MaxAgeSeconds).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from botocore.exceptions import BotoCoreError, ClientError

from hlsstudio.core.errors import ConfigError, StorageError
from hlsstudio.core.storage.base import Destination
from hlsstudio.core.storage.s3 import S3Destination, storage_error

PLAYER_RULE_ID = "hlsstudio-players"
ANY_ORIGIN = "*"
DEFAULT_ORIGINS: tuple[str, ...] = (ANY_ORIGIN,)
PLAYER_METHODS = ("GET", "HEAD")
ALLOWED_HEADERS = ("*",)
EXPOSE_HEADERS = ("Content-Length", "Content-Range", "ETag")
MAX_AGE_SECONDS = 3600
DASHBOARD_FIELDS = ("AllowedOrigins", "AllowedMethods", "AllowedHeaders", "ExposeHeaders", "MaxAgeSeconds")
_ORIGIN_RE = re.compile(r"^https?://[A-Za-z0-9*.\-]+(:\d{1,5})?$")
_NO_RULES = "NoSuchCORSConfiguration"
_REFUSED_STATUS = (401, 403, 405, 501)


class CorsState(StrEnum):
    """What the CORS rules mean for web players."""

    OK = "ok"  # GET and HEAD with a Range header allowed from every origin asked about
    INCOMPLETE = "incomplete"  # GET allowed, but HEAD or the Range header is not
    MISSING = "missing"  # no rule allowing GET from (some) origin asked about
    NOT_NEEDED = "not_needed"  # a local folder: no CORS involved
    UNKNOWN = "unknown"  # the rules could not be read


@dataclass(frozen=True)
class CorsVerdict:
    """A CORS check: ``state``, one plain sentence, and the details behind it."""

    state: CorsState
    message: str
    origins: tuple[str, ...] = DEFAULT_ORIGINS
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        """True when web players can load the videos (or no CORS is involved)."""
        return self.state in (CorsState.OK, CorsState.NOT_NEEDED)

    @property
    def fixable(self) -> bool:
        """True when ``set_cors`` is worth offering (a bucket whose rules are missing or unknown)."""
        return self.state in (CorsState.MISSING, CorsState.INCOMPLETE, CorsState.UNKNOWN)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "state": str(self.state),
            "message": self.message,
            "origins": list(self.origins),
            "problems": list(self.problems),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class CorsFix:
    """What ``set_cors`` did: ``outcome`` is ``set``, ``unchanged``, ``paste`` or ``not_needed``.

    For ``paste`` the store refused: ``paste_json`` is the rule list to paste and ``message`` says
    why and where.
    """

    outcome: str
    message: str
    paste_json: str = ""
    rules: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    @property
    def applied(self) -> bool:
        """True when the bucket now lets web players in (set now or already)."""
        return self.outcome in ("set", "unchanged")

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output (the paste JSON as parsed data)."""
        paste = json.loads(self.paste_json) if self.paste_json else None
        return {"outcome": self.outcome, "message": self.message, "paste": paste}


class _Refused(Exception):
    """The store answered a CORS request with a refusal; ``reason`` is a plain phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalize_origins(origins: Iterable[str]) -> tuple[str, ...]:
    """Origins without trailing slashes and duplicates; ``("*",)`` when empty or when ``*`` is one.

    Raises ConfigError for a value that is not ``scheme://host[:port]`` (a path is not allowed).
    """
    found: list[str] = []
    for raw in origins:
        origin = raw.strip().rstrip("/")
        if not origin:
            continue
        if origin == ANY_ORIGIN:
            return DEFAULT_ORIGINS
        if not _ORIGIN_RE.fullmatch(origin):
            raise ConfigError(
                f"invalid web player origin {raw.strip()!r}: use * or scheme://host[:port], "
                "such as https://app.example.com (no path)"
            )
        if origin.lower() not in (o.lower() for o in found):
            found.append(origin)
    return tuple(found) or DEFAULT_ORIGINS


def configured_origins(settings: object) -> tuple[str, ...]:
    """The web player origins of destination settings (a ``cors_origins`` list when the settings
    have one), else ``("*",)``."""
    value = getattr(settings, "cors_origins", None)
    return normalize_origins(value) if isinstance(value, list | tuple) else DEFAULT_ORIGINS


def player_rule(origins: Sequence[str] = DEFAULT_ORIGINS) -> dict[str, Any]:
    """This app's CORS rule (S3 ``CORSRule`` shape): GET/HEAD from ``origins``, any request header."""
    return {
        "ID": PLAYER_RULE_ID,
        "AllowedOrigins": list(normalize_origins(origins)),
        "AllowedMethods": list(PLAYER_METHODS),
        "AllowedHeaders": list(ALLOWED_HEADERS),
        "ExposeHeaders": list(EXPOSE_HEADERS),
        "MaxAgeSeconds": MAX_AGE_SECONDS,
    }


def _who(origin: str) -> str:
    return "any site" if origin == ANY_ORIGIN else origin


def _join(items: Sequence[str], word: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def _origin_matches(pattern: str, origin: str) -> bool:
    pattern = pattern.strip().rstrip("/").lower()
    if pattern == ANY_ORIGIN:
        return True
    if origin == ANY_ORIGIN:  # "any site" is only covered by a "*" rule
        return False
    return fnmatch.fnmatchcase(origin.lower(), pattern)


def _values(rule: Mapping[str, Any], name: str) -> list[str]:
    return [str(v) for v in rule.get(name) or []]


def _header_allowed(rule: Mapping[str, Any], header: str) -> bool:
    return any(
        fnmatch.fnmatchcase(header.lower(), p.strip().lower()) for p in _values(rule, "AllowedHeaders")
    )


def evaluate(rules: Sequence[Mapping[str, Any]], origins: Sequence[str] = DEFAULT_ORIGINS) -> CorsVerdict:
    """What ``rules`` (S3 ``CORSRule`` dicts) let web players on ``origins`` do. Makes no request."""
    origins = normalize_origins(origins)
    missing: list[str] = []
    problems: list[str] = []
    notes: list[str] = []
    lacks: set[str] = set()
    for origin in origins:
        matching = [r for r in rules if any(_origin_matches(p, origin) for p in _values(r, "AllowedOrigins"))]
        gets = [r for r in matching if "GET" in (m.upper() for m in _values(r, "AllowedMethods"))]
        if not gets:
            missing.append(_who(origin))
            problems.append(f"no CORS rule allows GET from {_who(origin)}")
            continue
        if not any("HEAD" in (m.upper() for m in _values(r, "AllowedMethods")) for r in matching):
            lacks.add("HEAD requests")
            problems.append(f"no CORS rule allows HEAD from {_who(origin)}")
        if not any(_header_allowed(r, "Range") for r in gets):
            lacks.add("the Range header (byte-range requests)")
            problems.append(f"the CORS rules for {_who(origin)} do not allow the Range request header")
        exposed = {h.lower() for r in gets for h in _values(r, "ExposeHeaders")}
        hidden = [h for h in EXPOSE_HEADERS if h.lower() not in exposed]
        if hidden:
            notes.append(f"players on {_who(origin)} cannot read the {_join(hidden, 'and')} response headers")
    if missing:
        message = (
            "Web players cannot load your videos: the bucket has no CORS rule allowing GET from "
            f"{_join(missing, 'or')}."
        )
        return CorsVerdict(CorsState.MISSING, message, origins, tuple(problems), tuple(notes))
    where = _join([_who(o) for o in origins], "and")
    if lacks:
        message = (
            f"Web players on {where} may fail to load your videos: the bucket's CORS rules do not "
            f"allow {_join(sorted(lacks), 'or')}."
        )
        return CorsVerdict(CorsState.INCOMPLETE, message, origins, tuple(problems), tuple(notes))
    message = f"Web players on {where} can load your videos."
    return CorsVerdict(CorsState.OK, message, origins, (), tuple(notes))


def _refusal(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    code = str(error.get("Code") or "unknown")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
    if status in (401, 403) or code in ("AccessDenied", "Unauthorized"):
        return (
            f"access denied ({code}, HTTP {status}), the access key may lack permission for bucket settings"
        )
    if status == 501 or code == "NotImplemented":
        return f"not supported by this storage server ({code}, HTTP {status})"
    return f"the storage server answered {code} (HTTP {status})"


def _read_rules(destination: S3Destination) -> list[dict[str, Any]]:
    """The bucket's CORS rules ([] for none). Raises _Refused, StorageError."""
    try:
        answer = destination.client.get_bucket_cors(Bucket=destination.bucket)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code == _NO_RULES:
            return []
        if code == "NoSuchBucket":
            raise storage_error(f"reading the CORS rules of {destination.description}", exc) from None
        raise _Refused(_refusal(exc)) from None
    except (BotoCoreError, OSError) as exc:  # no answer at all
        raise storage_error(f"reading the CORS rules of {destination.description}", exc) from None
    return [dict(rule) for rule in answer.get("CORSRules", [])]


def _write_rules(destination: S3Destination, rules: Sequence[Mapping[str, Any]]) -> None:
    """Replace the bucket's CORS rules with ``rules``. Raises _Refused, StorageError."""
    try:
        destination.client.put_bucket_cors(
            Bucket=destination.bucket, CORSConfiguration=cast(Any, {"CORSRules": [dict(r) for r in rules]})
        )
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code", "")) == "NoSuchBucket":
            raise storage_error(f"setting the CORS rules of {destination.description}", exc) from None
        raise _Refused(_refusal(exc)) from None
    except (BotoCoreError, OSError) as exc:
        raise storage_error(f"setting the CORS rules of {destination.description}", exc) from None


def check_cors(destination: Destination, origins: Sequence[str] = DEFAULT_ORIGINS) -> CorsVerdict:
    """Whether web players on ``origins`` (``*``: any site) can load videos from ``destination``.

    Reads the bucket's CORS rules (one request). A local folder needs none. A refused or failed
    read gives an ``UNKNOWN`` verdict naming the reason. Raises ConfigError for an invalid origin.
    """
    origins = normalize_origins(origins)
    if destination.kind == "local":
        return CorsVerdict(CorsState.NOT_NEEDED, "CORS rules are not needed (local folder).", origins)
    if not isinstance(destination, S3Destination):
        return CorsVerdict(CorsState.UNKNOWN, "This destination has no CORS rules to check.", origins)
    try:
        rules = _read_rules(destination)
    except (_Refused, StorageError) as exc:
        reason = exc.reason if isinstance(exc, _Refused) else exc.message
        message = (
            f"Could not read the bucket's CORS rules: {reason}. Whether web players can load your "
            "videos is unknown."
        )
        return CorsVerdict(CorsState.UNKNOWN, message, origins, (reason,))
    return evaluate(rules, origins)


def _same_rule(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal apart from the ID (lists compared as sets)."""
    lists = ("AllowedOrigins", "AllowedMethods", "AllowedHeaders", "ExposeHeaders")
    same_lists = all(sorted(_values(a, k)) == sorted(_values(b, k)) for k in lists)
    return same_lists and int(a.get("MaxAgeSeconds") or 0) == int(b.get("MaxAgeSeconds") or 0)


def merged_rules(existing: Sequence[Mapping[str, Any]], rule: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``existing`` with this app's ``rule`` added: an earlier rule of this app (by ID, or the same
    rule without its ID, as a dashboard keeps it) is replaced, every other rule is kept in order."""
    kept = [dict(r) for r in existing if r.get("ID") != PLAYER_RULE_ID and not _same_rule(r, rule)]
    return [*kept, dict(rule)]


def dashboard_json(rules: Sequence[Mapping[str, Any]]) -> str:
    """``rules`` as the JSON list a storage dashboard takes (R2's CORS policy editor, AWS's console)."""
    plain = [{k: rule[k] for k in DASHBOARD_FIELDS if rule.get(k)} for rule in rules]
    return json.dumps(plain, indent=2)


def paste_instructions(destination: S3Destination) -> str:
    """Where to paste the rule list for this destination, in one sentence."""
    if destination.endpoint_url.endswith(".r2.cloudflarestorage.com"):
        return (
            f"In the Cloudflare dashboard open R2 › {destination.bucket} › Settings › CORS Policy › "
            "Add CORS policy (or Edit), paste this JSON in the JSON tab and select Save."
        )
    return (
        f"Paste this JSON in your storage provider's console as the CORS configuration of bucket "
        f"{destination.bucket}."
    )


def set_cors(destination: Destination, origins: Sequence[str] = DEFAULT_ORIGINS) -> CorsFix:
    """Let web players on ``origins`` load from ``destination``: add this app's rule (PutBucketCors).

    The rules already there are kept (an earlier rule of this app is replaced); nothing is written
    when they already let players in. When the store refuses to show or to take the rules, nothing
    is changed and the result holds the JSON to paste into the dashboard (all rules when they could
    be read, else this app's rule alone). Raises StorageError when the store cannot be reached and
    ConfigError for an invalid origin.
    """
    origins = normalize_origins(origins)
    if destination.kind == "local":
        return CorsFix("not_needed", "CORS rules are not needed (local folder).")
    if not isinstance(destination, S3Destination):
        raise StorageError("setting CORS rules failed: this destination has none")
    rule = player_rule(origins)
    try:
        existing = _read_rules(destination)
    except _Refused as refused:
        return CorsFix(
            "paste",
            f"The bucket's CORS rules could not be read: {refused.reason}. Nothing was changed. "
            f"{paste_instructions(destination)} If the bucket already has CORS rules, add this rule "
            "to them instead of replacing them.",
            dashboard_json([rule]),
            (rule,),
        )
    before = evaluate(existing, origins)
    if before.state == CorsState.OK:
        return CorsFix("unchanged", f"Nothing to change: {before.message}", "", tuple(existing))
    rules = merged_rules(existing, rule)
    try:
        _write_rules(destination, rules)
    except _Refused as refused:
        kept = len(rules) - 1
        keeps = f" It keeps the {kept} rule{'s' if kept != 1 else ''} already there." if kept else ""
        return CorsFix(
            "paste",
            f"The storage server refused to set the CORS rule: {refused.reason}. "
            f"{paste_instructions(destination)}{keeps}",
            dashboard_json(rules),
            tuple(rules),
        )
    return CorsFix(
        "set", f"CORS rule {PLAYER_RULE_ID} set. {evaluate(rules, origins).message}", "", tuple(rules)
    )
