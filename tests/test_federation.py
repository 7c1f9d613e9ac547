"""Federation operations: `quorum association ...`, disabling stops jobs, health figures."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from sidecar.cli import cli
from sidecar.context import Services
from sidecar.scheduler import Scheduler
from sidecar.services import federation, jobs
from sidecar.storage.models import Association, Collection, Source, SyncJob, SyncRun

Invoke = Callable[..., Result]
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.fixture
def run(services: Services) -> Iterator[Invoke]:
    env = {
        "QUORUM_DATA_DIR": str(services.settings.data_dir),
        "QUORUM_DATABASE_URL": services.settings.database_url,
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    yield invoke


def _job(services: Services, slug: str, due: datetime) -> int:
    """A job on an unreachable source (nothing listens on port 9): its run fails quickly."""
    with services.db.session() as session:
        association = federation.find(session, slug)
        source = Source(
            association_id=association.id,
            name="nc",
            base_url="http://127.0.0.1:9/",
            login="x",
            password_enc=services.vault.encrypt("x"),
            capabilities={},
        )
        source.collections.append(Collection(kind="folder", remote_path="/", display_name="/"))
        session.add(source)
        session.flush()
        return jobs.create_job(session, association, source, "sync", every="5m", now=due).id


def test_create_list_show_disable_enable(run: Invoke, services: Services) -> None:
    assert run("association", "create", "jardins", "--name", "Jardins").exit_code == 0
    assert run("association", "create", "velo").exit_code == 0
    again = run("association", "create", "velo")
    assert again.exit_code == 1 and "exists already" in again.output
    bad = run("association", "create", "Not A Slug")
    assert bad.exit_code == 1 and "slug" in bad.output
    listing = json.loads(run("association", "list", "--json").output)
    assert {r["slug"]: r["state"] for r in listing} == {"jardins": "idle", "velo": "idle"}
    assert "jardins" in run("association", "list").output
    assert json.loads(run("association", "show", "jardins").output)["name"] == "Jardins"
    assert run("association", "show", "nope").exit_code == 1

    job_id = _job(services, "velo", NOW - timedelta(minutes=1))
    assert run("association", "disable", "velo").exit_code == 0
    assert json.loads(run("association", "show", "velo").output)["state"] == "disabled"
    scheduler = Scheduler(services, holder="a")
    assert scheduler.tick(NOW) == []  # disabled: its due job does not run
    with services.db.session() as session:
        assert session.scalar(select(SyncRun.id)) is None
    assert run("association", "enable", "velo").exit_code == 0
    [report] = scheduler.tick(NOW)
    assert report.outcome == "failed"  # nothing listens on port 9: it ran, and failed
    with services.db.session() as session:
        job = session.get(SyncJob, job_id)
        assert job is not None and job.last_lag_seconds == 60.0
    shown = json.loads(run("association", "show", "velo").output)
    assert shown["state"] == "failing" and shown["failed_runs_last_day"] == 1
    assert shown["lag_seconds"] == 60.0 and shown["last_error"]


def test_health_counts_overdue_and_sorts_worst_first(services: Services) -> None:
    with services.db.session() as session:
        for slug in ("a", "b", "c"):
            federation.create_association(session, slug, slug, timezone="UTC", language="fr")
    _job(services, "b", NOW - timedelta(minutes=3))
    _job(services, "c", NOW + timedelta(minutes=3))
    with services.db.session() as session:
        rows = federation.health(session, NOW)
        assert [(r.slug, r.state, r.overdue_seconds) for r in rows] == [
            ("b", "late", 180.0),
            ("c", "ok", 0.0),
            ("a", "idle", 0.0),
        ]
        assert session.scalar(select(Association.disabled_at)) is None


def test_percentiles() -> None:
    values = [float(n) for n in range(1, 101)]
    assert federation.percentiles(values, (0.5, 0.95, 0.99)) == {0.5: 50.0, 0.95: 95.0, 0.99: 99.0}
    assert federation.percentiles([], (0.5,)) == {0.5: 0.0}


def test_the_page_shows_every_association_to_operators_only(services: Services) -> None:
    from dataclasses import replace

    from sidecar.web import create_app
    from tests.access_helpers import make_user, sign_in

    with services.db.session() as session:
        for slug in ("host", "jardins", "velo"):
            federation.create_association(
                session, slug, slug.title(), timezone="UTC", language="fr"
            )
    _job(services, "velo", NOW)
    services.settings = replace(services.settings, operator_association="host")
    app = create_app({"TESTING": True}, services=services)
    operator = sign_in(app.test_client(), *make_user(services, "admin", association="host"))
    page = operator.get("/admin/associations/", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Jardins" in text and "Velo" in text and "en retard" in text  # velo's job is due
    other = sign_in(app.test_client(), *make_user(services, "admin", association="jardins"))
    text = other.get("/admin/associations/").get_data(as_text=True)
    assert "Jardins" in text and "Velo" not in text and "Host" not in text
    officer = sign_in(app.test_client(), *make_user(services, "officer", association="host"))
    assert officer.get("/admin/associations/").status_code == 403


def test_an_association_with_an_unknown_time_zone_is_refused(services: Services) -> None:
    """`association create --timezone Mars/Olympus` would make every later alerts cycle and
    minutes scan crash on ZoneInfoNotFoundError: it is refused when created."""
    from sidecar.errors import QuorumError

    with services.db.session() as session:
        with pytest.raises(QuorumError) as refused:
            federation.create_association(
                session, "mars", "Mars", timezone="Mars/Olympus", language="fr"
            )
        assert refused.value.code == "config.timezone"
        assert refused.value.params == {"value": "Mars/Olympus"}
        assert session.scalar(select(Association).where(Association.slug == "mars")) is None
