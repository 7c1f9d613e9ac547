"""Logs: ``quorum serve`` honours QUORUM_LOG_LEVEL, and feed and action tokens never reach an
access log (issue 12, items 5 and 6)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from gunicorn.config import Config  # type: ignore[import-untyped]

from sidecar.cli import cli
from sidecar.security.redaction import scrub
from sidecar.web import access_log, serving

ENTRYPOINT = Path(__file__).resolve().parents[2] / "docker" / "entrypoint.sh"
FEED = "/feeds/Zk3v_secret-Token123.ics"
ACTION = "/alerts/act/WzEsImFja25vd2xlZGdlIl0.aBcD.secret"


@pytest.fixture
def root_level() -> Iterator[None]:
    root = logging.getLogger()
    previous = root.level
    yield
    root.setLevel(previous)


@pytest.mark.usefixtures("root_level")
def test_quorum_serve_honours_the_log_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_serve(app: object, host: str, port: int, **_: object) -> None:
        seen["level"] = logging.getLogger().level

    monkeypatch.setattr(serving, "serve_app", fake_serve)
    logging.getLogger().setLevel(logging.WARNING)
    env = {
        "QUORUM_DATA_DIR": str(tmp_path / "data"),
        "QUORUM_LOG_LEVEL": "DEBUG",
        "QUORUM_SCHEDULER": "false",
    }
    done = CliRunner().invoke(cli, ["serve", "--port", "0"], env=env, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert seen["level"] == logging.DEBUG


def _gunicorn_line(path: str, query: str = "") -> str:
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", access_log.ACCESS_LOG_FORMAT)
    logger = access_log.AccessLogger(cfg)
    out = io.StringIO()
    for handler in logger.access_log.handlers:
        handler.setStream(out)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path + (f"?{query}" if query else ""),
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://q.example{FEED}",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[("AUTHORIZATION", "Bearer qrm_secret")])
    logger.access(response, request, environ, timedelta(milliseconds=5))
    return out.getvalue()


def test_the_access_log_never_holds_a_feed_or_action_token() -> None:
    feed = _gunicorn_line(FEED)
    assert "/feeds/***.ics" in feed and "Zk3v" not in feed
    action = _gunicorn_line(ACTION, "token=abc123&lang=fr")
    assert "/alerts/act/***" in action and "secret" not in action and "abc123" not in action
    entry = ENTRYPOINT.read_text(encoding="utf-8")
    assert "--logger-class sidecar.web.access_log.AccessLogger" in entry
    assert access_log.ACCESS_LOG_FORMAT in entry and "%(r)s" not in entry


def test_every_log_record_hides_tokens_in_paths() -> None:
    line = f'GET {FEED} and POST {ACTION} "https://q.example{FEED}"'
    assert "secret" not in scrub(line) and "Zk3v" not in scrub(line)
