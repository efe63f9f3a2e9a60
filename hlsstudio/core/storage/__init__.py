"""Destinations packages are published to: an S3-compatible bucket (Cloudflare R2) or a local folder.

``destination_from_settings()`` picks one from the environment, ``.env`` and the app settings
(see ``storage.config`` for the order).
"""

from __future__ import annotations

from hlsstudio.core.credentials import (
    load_secret_key,
    load_webhook_secret,
    save_secret_key,
    save_webhook_secret,
)
from hlsstudio.core.storage.base import (
    MASTER_NAME,
    MAX_DELETE_BATCH,
    Destination,
    ObjectInfo,
    content_prefix,
    master_key,
    validate_content_id,
)
from hlsstudio.core.storage.config import (
    R2Config,
    WebhookConfig,
    destination_from_settings,
    local_destination,
    resolve_r2_config,
    resolve_webhook,
)
from hlsstudio.core.storage.content_types import cache_control_for, content_type_for
from hlsstudio.core.storage.local import LocalDestination
from hlsstudio.core.storage.s3 import S3Destination

__all__ = [
    "MASTER_NAME",
    "MAX_DELETE_BATCH",
    "Destination",
    "LocalDestination",
    "ObjectInfo",
    "R2Config",
    "S3Destination",
    "WebhookConfig",
    "cache_control_for",
    "content_prefix",
    "content_type_for",
    "destination_from_settings",
    "load_secret_key",
    "load_webhook_secret",
    "local_destination",
    "master_key",
    "resolve_r2_config",
    "resolve_webhook",
    "save_secret_key",
    "save_webhook_secret",
    "validate_content_id",
]
