"""Jobs: schedules, the CLI, the JSON API and the admin page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from sidecar.cli import cli
from sidecar.cli.demo import connect_demo_source
from sidecar.config import load_settings
from sidecar.context import Services, resolve_association
from sidecar.demo import DemoServer
from sidecar.errors import NotFound, QuorumError
from sidecar.services import jobs
from sidecar.web import create_app
from tests.access_helpers import signed_in_client

NOW = datetime(2026, 11, 26, 8, 7, tzinfo=UTC)


@pytest.fixture
def services(tmp_path: Path) -> Services:
    overrides = {"data_dir": str(tmp_path / "q"), "allow_private_addresses": "true"}
    return Services.from_settings(load_settings(environ={}, overrides=overrides))


@pytest.fixture
def app(services: Services, demo_server: DemoServer) -> Flask:
    connect_demo_source(services, demo_server.url)
    return create_app({"TESTING": True}, services=services)


def test_parse_every() -> None:
    assert jobs.parse_every("15m") == 900
    assert jobs.parse_every("2h") == 7200
    with pytest.raises(QuorumError):
        jobs.parse_every("5s")  # too short
    with pytest.raises(QuorumError):
        jobs.parse_every("every quarter")


def test_next_fire_interval_and_cron_in_the_association_zone() -> None:
    assert jobs.next_fire(900, None, "Europe/Paris", NOW) == NOW + timedelta(minutes=15)
    # 08:07 UTC is 09:07 in Paris: the next */15 is 09:15 Paris, 08:15 UTC.
    assert jobs.next_fire(None, "*/15 * * * *", "Europe/Paris", NOW) == NOW.replace(minute=15)
    # Daily at 03:00 Paris is 02:00 UTC (winter).
    daily = jobs.next_fire(None, "0 3 * * *", "Europe/Paris", NOW)
    assert daily == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    with pytest.raises(QuorumError):
        jobs.trigger_for(None, "61 * * * *", "Europe/Paris")


def test_cli_create_list_pause_resume_run_remove(
    services: Services, demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect_demo_source(services, demo_server.url)
    monkeypatch.setenv("QUORUM_DATA_DIR", str(services.settings.data_dir))
    monkeypatch.setenv("QUORUM_ALLOW_PRIVATE_ADDRESSES", "true")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "every 15m" in run("job", "create", "docs", "--source", "demo", "--every", "15m")
    run("job", "create", "nightly", "--source", "demo", "--cron", "0 3 * * *")
    listing = run("job", "list")
    assert "docs\tdemo\tevery 15m\tscheduled" in listing
    assert "nightly\tdemo\tcron 0 3 * * *\tscheduled" in listing
    run("job", "pause", "docs")
    assert "docs\tdemo\tevery 15m\tpaused" in run("job", "list")
    run("job", "resume", "docs")
    assert "docs\tdemo\tevery 15m\tscheduled" in run("job", "list")
    assert "demo: ok" in run("job", "run", "docs")
    run("job", "remove", "nightly")
    assert "nightly" not in run("job", "list")
    bad = runner.invoke(cli, ["job", "create", "x", "--source", "demo"])
    assert bad.exit_code != 0


def test_api_jobs_lifecycle(app: Flask) -> None:
    client = signed_in_client(app)  # an admin
    created = client.post("/api/v1/jobs", json={"name": "docs", "source": "demo", "every": "1h"})
    assert created.status_code == 201, created.json
    job_id = created.json["id"]  # type: ignore[index]
    assert client.get("/api/v1/jobs").json[0]["schedule"] == "every 1h"  # type: ignore[index]
    assert client.post(f"/api/v1/jobs/{job_id}/pause").json["state"] == "paused"  # type: ignore[index]
    assert client.post(f"/api/v1/jobs/{job_id}/resume").json["state"] == "scheduled"  # type: ignore[index]
    assert client.post(f"/api/v1/jobs/{job_id}/run").status_code == 202
    services: Services = app.extensions["quorum"]
    report = jobs.run_job(services.db, services.vault, job_id, due=True)
    assert report is not None and report.outcome == "ok"
    runs = client.get(f"/api/v1/jobs/{job_id}/runs").json
    assert runs[0]["outcome"] == "ok" and runs[0]["requests"] > 0  # type: ignore[index]
    assert runs[0]["progress"]["done"] == runs[0]["progress"]["total"]  # type: ignore[index]
    bad = client.post("/api/v1/jobs", json={"name": "x", "source": "demo", "cron": "nope"})
    assert bad.status_code == 400 and "cron" in bad.json["error"]  # type: ignore[index]
    assert client.delete(f"/api/v1/jobs/{job_id}").status_code == 204
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404


def test_admin_page_shows_jobs_and_forms_need_csrf(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = signed_in_client(app)  # an admin
    page = client.get("/jobs/")
    assert page.status_code == 200
    assert client.post("/jobs/", data={"name": "docs", "source": "demo"}).status_code == 400
    services: Services = app.extensions["quorum"]
    with services.db.session() as session:
        from sidecar.context import resolve_association

        association = resolve_association(session, None)
        source = jobs.source_by_name(session, association.id, "demo")
        jobs.create_job(session, association, source, "docs", every="15m")
    html = client.get("/jobs/").get_data(as_text=True)
    assert "docs" in html and "toutes les 15 minutes" in html and 'name="csrf_token"' in html


@pytest.mark.parametrize("scheduler", ["true", "false"])
def test_run_now_on_the_page_says_when_it_starts(
    tmp_path: Path, demo_server: DemoServer, scheduler: str
) -> None:
    """ "Run now" only marks the job due: the page says the scheduler starts it within its tick,
    or warns that no scheduler runs in this process (QUORUM_SCHEDULER off, as `quorum serve`
    and the WSGI entry point decide)."""
    overrides = {
        "data_dir": str(tmp_path / "q"),
        "allow_private_addresses": "true",
        "scheduler": scheduler,
    }
    services = Services.from_settings(load_settings(environ={}, overrides=overrides))
    connect_demo_source(services, demo_server.url)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, services=services)
    with services.db.session() as session:
        from sidecar.context import resolve_association

        association = resolve_association(session, None)
        source = jobs.source_by_name(session, association.id, "demo")
        job_id = jobs.create_job(session, association, source, "docs", every="1h").id
    client = signed_in_client(app)
    html = client.post(f"/jobs/{job_id}/run", follow_redirects=True).get_data(as_text=True)
    if scheduler == "true":
        assert "Synchronisation demandée : elle démarre dans les 5 secondes" in html
    else:
        assert "aucun planificateur ne tourne dans ce processus" in html
        assert "quorum sync demo" in html


def test_a_job_reference_in_other_digits_is_a_name_not_a_crash(services: Services) -> None:
    """``"²".isdigit()`` is true and ``int("²")`` raises: ``quorum job run ²`` crashed."""
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        with pytest.raises(NotFound):
            jobs.find_job(session, association.id, "²")
