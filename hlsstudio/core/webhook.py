"""The completion webhook: POST a JSON document to a URL, signed with HMAC-SHA256 when a secret is set.

The document (``webhook_payload``) is the publish result with ``event``, ``content_type`` and
``content_id``; its ``renditions`` are the audio and subtitle renditions of the published master
(type, group, name, language, default, forced, sdh, channels, playlist and its public ``url``).

The signature header is ``X-HLSStudio-Signature: sha256=<hex>``, the HMAC-SHA256 of the exact
request body with the shared secret. Connection errors, timeouts and 5xx answers are retried
with exponential backoff; other answers are final. Delivery never raises: the outcome is a short
string (``"delivered"`` or ``"failed: <reason>"``) that never contains the URL or the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from hlsstudio import __version__
from hlsstudio.core.logs import register_secret
from hlsstudio.core.models import ContentType, PublishResult

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-HLSStudio-Signature"
DELIVERED = "delivered"
EVENT = "hls.published"


def webhook_payload(result: PublishResult, content_type: ContentType, content_id: str) -> dict[str, Any]:
    """The JSON document the completion webhook receives: the event, the title, and the publish
    result (its renditions with their URLs included) less the webhook's own outcome."""
    doc: dict[str, Any] = {"event": EVENT, "content_type": str(content_type), "content_id": content_id}
    doc.update(result.model_dump(mode="json", exclude={"webhook"}))
    return doc


def sign(body: bytes, secret: str) -> str:
    """The signature header value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def encode_payload(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON with sorted keys, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _post_once(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[bool, bool, str]:
    """One POST. Returns (delivered, worth retrying, reason)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return False, exc.code >= 500, f"HTTP {exc.code}"
    except TimeoutError:
        return False, True, "timed out"
    except urllib.error.URLError as exc:
        reason = exc.reason
        text = reason.strerror if isinstance(reason, OSError) and reason.strerror else type(reason).__name__
        return False, True, f"connection error ({text})"
    except OSError as exc:
        return False, True, f"connection error ({exc.strerror or type(exc).__name__})"
    if 200 <= status < 300:
        return True, False, DELIVERED
    return False, status >= 500, f"HTTP {status}"


def send_webhook(
    url: str,
    payload: dict[str, Any],
    *,
    secret: str | None = None,
    timeout: float = 10.0,
    attempts: int = 3,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """POST ``payload`` as JSON to ``url``; retry connection errors and 5xx up to ``attempts`` times.

    Waits ``backoff``, ``2*backoff``, … between attempts. Returns ``"delivered"`` or
    ``"failed: <reason>"``; never raises for delivery problems. The URL and the secret are
    registered as secrets (masked in every log line from now on).
    """
    register_secret(url)  # it may carry a token: never in a log, whoever called
    if urlsplit(url).scheme not in ("http", "https"):
        return "failed: webhook URL must start with http:// or https://"
    body = encode_payload(payload)
    headers = {"Content-Type": "application/json", "User-Agent": f"HLSStudio/{__version__}"}
    if secret:
        register_secret(secret)
        headers[SIGNATURE_HEADER] = sign(body, secret)
    host = urlsplit(url).hostname or "?"
    reason = "not attempted"
    for attempt in range(1, max(1, attempts) + 1):
        delivered, retry, reason = _post_once(url, body, headers, timeout)
        if delivered:
            log.info("webhook delivered to %s", host)
            return DELIVERED
        log.warning("webhook to %s failed (attempt %d/%d): %s", host, attempt, attempts, reason)
        if not retry or attempt >= attempts:
            break
        sleep(backoff * 2 ** (attempt - 1))
    return f"failed: {reason}"
