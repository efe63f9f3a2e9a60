"""CORS for web players against a real loopback S3 endpoint (moto behind the recording proxy).

``check_cors`` reads the bucket's rules and says in plain words what players can do; ``set_cors``
adds this app's rule and keeps every other one; a store that refuses (the proxy answers like R2 with
a token lacking bucket permissions, or like a server without the API) gets the JSON to paste.
``hlsstudio-cli doctor --destination`` runs end to end with R2_* variables pointing at the proxy.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hlsstudio.cli import main
from hlsstudio.core.errors import ConfigError, StorageError
from hlsstudio.core.storage.cors import (
    DASHBOARD_FIELDS,
    PLAYER_RULE_ID,
    CorsState,
    check_cors,
    paste_instructions,
    set_cors,
)
from hlsstudio.core.storage.local import LocalDestination
from hlsstudio.core.storage.s3 import S3Destination
from tests import s3server
from tests.s3server import Recorded, S3Setup

ROOT = Path(__file__).resolve().parents[2]
APP = "https://app.example.com"
THEIRS = {  # a rule some other tool made: it must survive
    "ID": "uploads-from-admin",
    "AllowedOrigins": ["https://admin.example.com"],
    "AllowedMethods": ["PUT", "POST"],
    "AllowedHeaders": ["Content-Type"],
    "MaxAgeSeconds": 600,
}


def cors_request(method: str) -> Any:
    """A proxy rule matching the bucket's ``?cors`` sub-resource for ``method``."""

    def matches(request: Recorded) -> bool:
        return request.method == method and request.query.split("=")[0] == "cors"

    return matches


def refuse(method: str, status: str) -> Any:
    matches = cors_request(method)
    return lambda request: status if matches(request) else None


def rules_in(moto_client: Any, bucket: str) -> list[dict[str, Any]]:
    return list(moto_client.get_bucket_cors(Bucket=bucket)["CORSRules"])


def cors_puts(s3: S3Setup) -> list[Recorded]:
    return [r for r in s3.proxy.requests if cors_request("PUT")(r)]


def test_a_bucket_without_rules_is_missing_for_any_site_and_for_a_named_origin(s3: S3Setup) -> None:
    verdict = check_cors(s3.destination())
    assert verdict.state == CorsState.MISSING and not verdict.usable and verdict.fixable
    assert verdict.message == (
        "Web players cannot load your videos: the bucket has no CORS rule allowing GET from any site."
    )
    named = check_cors(s3.destination(), [APP + "/"])
    assert named.origins == (APP,)
    assert named.message == (
        f"Web players cannot load your videos: the bucket has no CORS rule allowing GET from {APP}."
    )


def test_set_adds_the_rule_and_keeps_the_rules_already_there(s3: S3Setup, moto_client: Any) -> None:
    untagged = {"AllowedOrigins": ["https://cms.example.com"], "AllowedMethods": ["DELETE"]}
    moto_client.put_bucket_cors(Bucket=s3.bucket, CORSConfiguration={"CORSRules": [THEIRS, untagged]})
    assert check_cors(s3.destination()).state == CorsState.MISSING

    fix = set_cors(s3.destination())

    assert fix.outcome == "set" and fix.applied and fix.paste_json == ""
    assert fix.message == f"CORS rule {PLAYER_RULE_ID} set. Web players on any site can load your videos."
    stored = rules_in(moto_client, s3.bucket)
    assert stored[:2] == [THEIRS, untagged]
    ours = stored[2]
    assert ours["ID"] == PLAYER_RULE_ID and ours["AllowedOrigins"] == ["*"]
    assert sorted(ours["AllowedMethods"]) == ["GET", "HEAD"] and ours["AllowedHeaders"] == ["*"]
    assert set(ours["ExposeHeaders"]) == {"Content-Length", "Content-Range", "ETag"}
    verdict = check_cors(s3.destination())
    assert verdict.state == CorsState.OK and verdict.notes == ()
    assert verdict.message == "Web players on any site can load your videos."

    again = set_cors(s3.destination())  # already fine: nothing is written
    assert again.outcome == "unchanged" and again.applied
    assert len(cors_puts(s3)) == 1
    assert rules_in(moto_client, s3.bucket) == stored


def test_a_named_origin_gets_its_own_rule_which_replaces_the_apps_earlier_one(
    s3: S3Setup, moto_client: Any
) -> None:
    moto_client.put_bucket_cors(Bucket=s3.bucket, CORSConfiguration={"CORSRules": [THEIRS]})
    assert set_cors(s3.destination(), ["https://old.example.com"]).outcome == "set"

    fix = set_cors(s3.destination(), [APP, "https://*.preview.example.com"])

    assert fix.outcome == "set"
    stored = rules_in(moto_client, s3.bucket)
    assert [r.get("ID") for r in stored] == [THEIRS["ID"], PLAYER_RULE_ID]
    assert stored[1]["AllowedOrigins"] == [APP, "https://*.preview.example.com"]
    assert check_cors(s3.destination(), [APP]).message == f"Web players on {APP} can load your videos."
    assert check_cors(s3.destination(), ["https://pr-7.preview.example.com"]).state == CorsState.OK
    assert check_cors(s3.destination(), ["https://old.example.com"]).state == CorsState.MISSING
    assert check_cors(s3.destination()).state == CorsState.MISSING  # not "any site"


def test_a_rule_without_head_or_range_is_incomplete_until_set(s3: S3Setup, moto_client: Any) -> None:
    bare = {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}
    moto_client.put_bucket_cors(Bucket=s3.bucket, CORSConfiguration={"CORSRules": [bare]})

    verdict = check_cors(s3.destination())

    assert verdict.state == CorsState.INCOMPLETE and verdict.fixable
    assert verdict.message == (
        "Web players on any site may fail to load your videos: the bucket's CORS rules do not allow "
        "HEAD requests or the Range header (byte-range requests)."
    )
    assert any("Content-Range" in note for note in verdict.notes)
    assert set_cors(s3.destination()).outcome == "set"
    assert rules_in(moto_client, s3.bucket)[0] == bare
    assert check_cors(s3.destination()).state == CorsState.OK


@pytest.fixture
def s3_refusals(monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxy's injected 403 and 501 answers carry S3's refusal codes (as R2 sends them)."""
    codes = {403: "AccessDenied", 501: "NotImplemented"}

    def send_error(h: Any, status: int, extra: str) -> None:
        body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{codes[status]}</Code></Error>"
        h.send_response(status)
        h.send_header("Content-Type", "application/xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body.encode())

    monkeypatch.setattr(s3server, "_send_error", send_error)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("403", "access denied (AccessDenied, HTTP 403), the access key may lack permission"),
        ("501", "not supported by this storage server (NotImplemented, HTTP 501)"),
    ],
)
def test_a_refused_put_returns_the_rules_to_paste_and_changes_nothing(
    s3: S3Setup, moto_client: Any, s3_refusals: None, status: str, reason: str
) -> None:
    moto_client.put_bucket_cors(Bucket=s3.bucket, CORSConfiguration={"CORSRules": [THEIRS]})
    s3.proxy.rule = refuse("PUT", status)

    fix = set_cors(s3.destination())

    assert fix.outcome == "paste" and not fix.applied
    assert f"The storage server refused to set the CORS rule: {reason}" in fix.message
    assert "this JSON" in fix.message and "It keeps the 1 rule already there." in fix.message
    pasted = json.loads(fix.paste_json)
    assert all(set(rule) <= set(DASHBOARD_FIELDS) for rule in pasted)  # no IDs: the dashboard format
    assert pasted[0] == {k: v for k, v in THEIRS.items() if k != "ID"}
    assert pasted[1] == {
        "AllowedOrigins": ["*"],
        "AllowedMethods": ["GET", "HEAD"],
        "AllowedHeaders": ["*"],
        "ExposeHeaders": ["Content-Length", "Content-Range", "ETag"],
        "MaxAgeSeconds": 3600,
    }
    assert [r.status for r in cors_puts(s3)] == [int(status)]
    assert rules_in(moto_client, s3.bucket) == [THEIRS]


def test_unreadable_rules_are_unknown_and_never_overwritten(
    s3: S3Setup, moto_client: Any, s3_refusals: None
) -> None:
    moto_client.put_bucket_cors(Bucket=s3.bucket, CORSConfiguration={"CORSRules": [THEIRS]})
    s3.proxy.rule = refuse("GET", "403")

    verdict = check_cors(s3.destination())
    fix = set_cors(s3.destination())

    assert verdict.state == CorsState.UNKNOWN and verdict.fixable
    assert verdict.message.startswith("Could not read the bucket's CORS rules: access denied (AccessDenied")
    assert fix.outcome == "paste" and "Nothing was changed." in fix.message
    assert "add this rule to them instead of replacing them" in fix.message
    assert [rule["AllowedOrigins"] for rule in json.loads(fix.paste_json)] == [["*"]]
    assert cors_puts(s3) == []  # rules it could not read are never replaced
    assert rules_in(moto_client, s3.bucket) == [THEIRS]


def test_paste_instructions_name_the_r2_dashboard(s3: S3Setup) -> None:
    r2 = S3Destination(
        bucket="media",
        endpoint_url="https://0123abcd.r2.cloudflarestorage.com",
        access_key_id="AKIDR2",
        secret_access_key="r2-secret-value-0xFEED",
    )
    assert paste_instructions(r2) == (
        "In the Cloudflare dashboard open R2 › media › Settings › CORS Policy › Add CORS policy "
        "(or Edit), paste this JSON in the JSON tab and select Save."
    )
    assert f"bucket {s3.bucket}" in paste_instructions(s3.destination())


def test_a_local_folder_needs_no_rule(tmp_path: Path) -> None:
    folder = LocalDestination(tmp_path / "published")
    verdict = check_cors(folder)
    assert verdict.state == CorsState.NOT_NEEDED and verdict.usable and not verdict.fixable
    assert verdict.message == "CORS rules are not needed (local folder)."
    assert set_cors(folder).outcome == "not_needed"


def test_an_unreachable_endpoint_and_a_bad_origin(s3: S3Setup) -> None:
    gone = s3.destination(endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1)
    verdict = check_cors(gone)
    assert verdict.state == CorsState.UNKNOWN and "cannot connect" in verdict.message
    with pytest.raises(StorageError, match="cannot connect"):
        set_cors(gone)
    with pytest.raises(ConfigError, match="no path"):
        check_cors(s3.destination(), ["https://app.example.com/player"])


# --- hlsstudio-cli doctor --destination -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def s3_env(s3: S3Setup, monkeypatch: pytest.MonkeyPatch, ffmpeg_bin: str, ffprobe_bin: str) -> S3Setup:
    for name, value in s3.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("HLSSTUDIO_FFMPEG", ffmpeg_bin)
    monkeypatch.setenv("HLSSTUDIO_FFPROBE", ffprobe_bin)
    return s3


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["doctor", "--destination", *args])
    return status, capsys.readouterr().out


def test_doctor_reports_missing_cors_then_fixes_it(
    s3_env: S3Setup, moto_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    moto_client.put_bucket_cors(Bucket=s3_env.bucket, CORSConfiguration={"CORSRules": [THEIRS]})
    status, out = doctor(capsys, "--json")
    assert status == 5
    doc = json.loads(out)
    assert doc["ok"] is True  # FFmpeg's verdict is its own
    assert doc["destination"]["reachable"] is True
    assert s3_env.bucket in doc["destination"]["message"]
    assert doc["destination"]["cors"]["state"] == "missing"
    assert "cors_fix" not in doc["destination"]

    status, out = doctor(capsys, "--fix-cors")
    assert status == 0, out
    assert f"CORS      CORS rule {PLAYER_RULE_ID} set." in out
    assert "players   Web players on any site can load your videos." in out
    assert out.splitlines()[-1] == "status    ready"
    assert [r.get("ID") for r in rules_in(moto_client, s3_env.bucket)] == [THEIRS["ID"], PLAYER_RULE_ID]


def test_doctor_offers_the_fix_on_a_terminal(
    s3_env: S3Setup, moto_client: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    status, out = doctor(capsys, "--origin", APP)
    assert status == 5 and "add a CORS rule" in out
    assert f"allowing GET from {APP}" in out and "--fix-cors" in out.splitlines()[-1]

    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    status, out = doctor(capsys, "--origin", APP)
    assert status == 0, out
    assert rules_in(moto_client, s3_env.bucket)[0]["AllowedOrigins"] == [APP]


def test_doctor_prints_the_rule_to_paste_when_refused(
    s3_env: S3Setup, moto_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    s3_env.proxy.rule = refuse("PUT", "403")
    status, out = doctor(capsys, "--fix-cors", "--json")
    assert status == 5
    fix = json.loads(out)["destination"]["cors_fix"]
    assert fix["outcome"] == "paste" and fix["paste"][0]["AllowedMethods"] == ["GET", "HEAD"]

    status, out = doctor(capsys, "--fix-cors")
    assert status == 5
    assert "refused to set the CORS rule" in out and '"AllowedOrigins": [' in out
    with pytest.raises(Exception, match="NoSuchCORSConfiguration"):
        rules_in(moto_client, s3_env.bucket)


def test_doctor_exit_statuses_for_an_unreachable_destination_and_a_bad_origin(
    s3_env: S3Setup, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("R2_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    status, out = doctor(capsys)
    assert status == 4
    assert "NOT REACHABLE" in out and "cannot connect" in out
    assert out.splitlines()[-1] == "status    not ready: the destination cannot be reached"
    assert main(["doctor", "--destination", "--origin", "app.example.com"]) == 2
    assert "invalid web player origin" in capsys.readouterr().err


def test_installed_doctor_destination_json(s3_env: S3Setup, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "tests.s3server.MemoryKeyring",
    }
    script = Path(sys.executable).with_name("hlsstudio-cli")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "hlsstudio.cli"]
    done = subprocess.run(
        [*command, "doctor", "--destination", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 5, done.stdout + done.stderr
    cors = json.loads(done.stdout)["destination"]["cors"]
    assert cors["state"] == "missing" and cors["origins"] == ["*"]
    assert s3_env.secret not in done.stdout + done.stderr

    help_text = subprocess.run(
        [*command, "doctor", "--help"], env=env, capture_output=True, text=True, timeout=60, check=False
    ).stdout
    assert "--destination" in help_text and "--fix-cors" in help_text
    assert "exit status" in help_text and "5 web players" in " ".join(help_text.split())
