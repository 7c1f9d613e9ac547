"""Sources on the command line (issue 16): update the app password, a default sync job, what
`quorum sync` says with nothing configured, the loopback refusal, the demo's data hint."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sidecar.cli import cli
from sidecar.demo import DEMO_USERS, DemoServer

Invoke = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Invoke]:
    env = {
        "QUORUM_DATA_DIR": str(tmp_path / "data"),
        "QUORUM_DATABASE_URL": f"sqlite:///{tmp_path / 'q.db'}",
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    runner = CliRunner()

    def invoke(*args: str, password: str | None = None, **extra: str) -> Result:
        return runner.invoke(
            cli, list(args), input=password, env=env | extra, catch_exceptions=False
        )

    yield invoke


def _add(run: Invoke, url: str, password: str, *more: str) -> Result:
    return run("source", "add", "nc", "--url", url, "--login", "alice", "--password-stdin",
               *more, password=password + "\n")  # fmt: skip


def test_added_source_gets_a_job_and_points_to_the_setup(
    run: Invoke, demo_server: DemoServer
) -> None:
    result = _add(run, demo_server.url, DEMO_USERS["alice"])
    assert result.exit_code == 0, result.output
    assert "quorum setup nc" in result.output and "every 15m" in result.output
    jobs = run("job", "list").output
    assert "nc" in jobs and "15" in jobs, jobs


def test_no_job_on_request(run: Invoke, demo_server: DemoServer) -> None:
    assert _add(run, demo_server.url, DEMO_USERS["alice"], "--no-job").exit_code == 0
    assert "nc" not in run("job", "list").output.replace("No", "")


def test_wrong_password_never_reports_ok_and_update_fixes_it(
    run: Invoke, demo_server: DemoServer
) -> None:
    wrong = _add(run, demo_server.url, "not-it", "--no-discover")
    assert wrong.exit_code == 0  # stored without connecting, as asked
    assert "\tok" not in run("source", "list").output
    assert run("sync").exit_code == 1
    listed = run("source", "list").output
    assert "auth_failed" in listed and "\tok" not in listed
    bad = run("source", "update", "nc", "--password-stdin", password="still-wrong\n")
    assert bad.exit_code == 1 and "still-wrong" not in bad.output
    assert "\tok" not in run("source", "list").output
    good = run("source", "update", "nc", "--password-stdin", password=DEMO_USERS["alice"] + "\n")
    assert good.exit_code == 0 and "connected" in good.output, good.output
    assert run("sync").exit_code == 0
    assert "\tok" in run("source", "list").output


def test_sync_with_nothing_configured_says_how_to_add_a_source(run: Invoke) -> None:
    run("config", "export")  # creates the association, still without a source
    result = run("sync")
    assert result.exit_code == 1
    assert "quorum source add" in result.output and "--password-stdin" in result.output


def test_loopback_refusal_names_the_setting(run: Invoke, demo_server: DemoServer) -> None:
    result = run(
        "source", "add", "nc", "--url", demo_server.url, "--login", "alice", "--password-stdin",
        password="x\n", QUORUM_ALLOW_PRIVATE_ADDRESSES="false",
    )  # fmt: skip
    assert result.exit_code == 1 and "QUORUM_ALLOW_PRIVATE_ADDRESSES=true" in result.output


def test_cli_after_make_demo_says_where_the_demo_data_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".quorum-demo").mkdir()
    (tmp_path / ".quorum-demo" / "quorum.db").write_bytes(b"")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUORUM_")}
    result = CliRunner().invoke(cli, ["sync"], env=env | {"QUORUM_DATA_DIR": ".quorum"})
    assert result.exit_code == 1
    assert "QUORUM_DATA_DIR=.quorum-demo" in result.output, result.output


def test_sync_names_the_calendars_left_without_a_role(run: Invoke, demo_server: DemoServer) -> None:
    assert _add(run, demo_server.url, DEMO_USERS["alice"]).exit_code == 0
    result = run("sync")
    assert "1 calendar has no role and is not synced (Personnel)" in result.output, result.output
    assert "quorum setup nc" in result.output
    assert run("setup", "--accept").exit_code == 0
    assert "no role" not in run("sync").output
