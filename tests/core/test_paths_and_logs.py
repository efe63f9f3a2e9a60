"""Where the app keeps its files (everything under HLSSTUDIO_HOME) and secret-masking logs."""

from __future__ import annotations

import io
import logging
import uuid
from pathlib import Path

from hlsstudio.core import paths
from hlsstudio.core.logs import RedactingFilter, redact, register_secret
from hlsstudio.core.settings import settings_path


def test_every_app_folder_lives_under_hlsstudio_home(hlsstudio_home: Path) -> None:
    folders = [paths.config_dir(), paths.data_dir(), paths.cache_dir(), paths.log_dir()]
    assert folders == [hlsstudio_home / k for k in ("config", "data", "cache", "log")]
    assert all(folder.is_dir() for folder in folders)
    assert paths.default_output_dir() == hlsstudio_home / "data" / "output"
    assert paths.default_local_publish_dir() == hlsstudio_home / "data" / "published"
    assert settings_path() == hlsstudio_home / "config" / "settings.json"


def test_registered_secrets_never_reach_a_log_record() -> None:
    secret = f"sk-{uuid.uuid4().hex}"
    register_secret(secret)
    register_secret("abc")  # too short to mask safely: ignored
    assert redact(f"key={secret}; abc") == "key=***; abc"

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"hlsstudio.test.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.warning("upload failed for %s with secret %s", "bucket", secret)
    logger.warning(f"inline {secret}")
    logger.removeHandler(handler)
    text = stream.getvalue()
    assert secret not in text
    assert "upload failed for bucket with secret ***" in text
    assert "inline ***" in text
