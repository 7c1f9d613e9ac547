"""Issue 13, item 9: operator errors. A locked or unreachable database is one clear CLI line and
a 503 page (not a traceback or a 500); ``quorum sync`` exits non-zero on ``partial``; a URL with
credentials is never echoed; plain ``http://`` to another host is accepted with a warning.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from integrations.urls import plain_http_warning
from sidecar.cli import cli
from sidecar.context import Services
from sidecar.demo import DEMO_USERS
from tests.access_helpers import LoginAs
from tests.sync.proxy import Proxied, Reply, Seen
from tests.sync.test_integrity_guard import add_event

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/quorum"  # port 1: refused at once


def quorum(tmp_path: Path, database_url: str, *args: str, stdin: str | None = None) -> Result:
    env = {
        "QUORUM_DATA_DIR": str(tmp_path / "data"),
        "QUORUM_DATABASE_URL": database_url,
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    return CliRunner().invoke(cli, list(args), input=stdin, env=env, catch_exceptions=False)


def test_an_unreachable_database_is_one_line_in_the_cli(tmp_path: Path) -> None:
    result = quorum(tmp_path, UNREACHABLE, "sync")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "database cannot be used" in lines[0], result.output
    assert "Traceback" not in result.output


def _break_database(services: Services) -> None:
    engine = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/quorum", connect_args={"connect_timeout": 2}
    )
    services.db.engine.dispose()  # its pooled connections are closed, not left to the GC
    services.db.engine = engine
    services.db._sessions = sessionmaker(engine, expire_on_commit=False)


def test_an_unreachable_database_answers_503_on_pages_and_the_api(
    app: Flask, services: Services, login_as: LoginAs
) -> None:
    client = login_as("admin")
    assert client.get("/").status_code in (200, 302)
    _break_database(services)
    page = client.get("/")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert b"Traceback" not in page.data
    api = client.get("/api/v1/meetings")
    assert api.status_code == 503 and "error" in (api.get_json() or {})


def test_quorum_sync_exits_non_zero_on_partial(
    tmp_path: Path, database_url: str, proxied: Proxied
) -> None:
    added = quorum(
        tmp_path,
        database_url,
        *("source", "add", "nc", "--url", proxied.url, "--login", "alice", "--password-stdin"),
        stdin=DEMO_USERS["alice"] + "\n",
    )
    assert added.exit_code == 0, added.output
    assert quorum(tmp_path, database_url, "sync").exit_code == 0

    def broken_bureau(seen: Seen) -> Reply | None:
        return Reply("500 Internal Server Error") if "/bureau/" in seen.path else None

    add_event(proxied.url, "bureau", "partielle")  # its token moves: the calendar is read
    proxied.proxy.rules.append(broken_bureau)
    result = quorum(tmp_path, database_url, "sync")
    assert "partial" in result.output
    assert result.exit_code == 3, result.output


def test_a_url_with_credentials_is_never_echoed(tmp_path: Path, database_url: str) -> None:
    result = quorum(
        tmp_path,
        database_url,
        *("source", "add", "nc", "--url", "https://alice:s3cr3t-pw@127.0.0.1:1/"),
        *("--login", "alice", "--password-stdin"),
        stdin="x\n",
    )
    assert result.exit_code == 1
    assert "s3cr3t-pw" not in result.output, result.output


def test_plain_http_to_another_host_is_accepted_with_a_warning(
    tmp_path: Path, database_url: str
) -> None:
    assert plain_http_warning("http://cloud.example.org/") is not None
    assert plain_http_warning("http://127.0.0.1:8080/") is None
    assert plain_http_warning("http://localhost/") is None
    assert plain_http_warning("https://cloud.example.org/") is None
    result = quorum(
        tmp_path,
        database_url,
        *("source", "add", "nc", "--url", "http://192.0.2.10/", "--login", "alice"),
        *("--password-stdin", "--no-discover"),
        stdin="x\n",
    )
    assert "plain http://" in result.output, result.output
    assert result.exit_code == 0, "accepted"
