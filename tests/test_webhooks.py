"""``POST /webhooks/nextcloud``: shared secret, event parsing, the source's jobs made due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from sidecar.cli.demo import connect_demo_source
from sidecar.config import load_settings
from sidecar.context import Services, resolve_association
from sidecar.demo import DemoServer
from sidecar.scheduler import Scheduler
from sidecar.services import jobs
from sidecar.storage.models import SyncJob
from sidecar.web import create_app

SECRET = "s3cret-shared-with-nextcloud"
FILE_EVENT = {
    "user": {"uid": "alice", "displayName": "Alice"},
    "time": 1764144000,
    "event": {
        "class": "OCP\\Files\\Events\\Node\\NodeWrittenEvent",
        "node": {"id": 42, "path": "/alice/files/Subventions/budget.ods"},
    },
}
CALENDAR_EVENT = {
    "event": {
        "class": "OCP\\Calendar\\Events\\CalendarObjectUpdatedEvent",
        "calendarId": 3,
        "calendarData": {"principaluri": "principals/users/alice", "uri": "conseil"},
        "objectData": {"uri": "ca.ics"},
    },
}


@pytest.fixture
def setup(tmp_path: Path, demo_server: DemoServer) -> tuple[Flask, Services, int]:
    overrides = {"data_dir": str(tmp_path / "q"), "allow_private_addresses": "true"}
    services = Services.from_settings(load_settings(environ={}, overrides=overrides))
    source_id = connect_demo_source(services, demo_server.url)
    later = datetime.now(UTC) + timedelta(hours=1)
    with services.db.session() as session:
        association = resolve_association(session, None)
        source = jobs.source_by_name(session, association.id, "demo")
        job_id = jobs.create_job(session, association, source, "docs", every="1h", now=later).id
    assert source_id
    app = create_app({"TESTING": True, "QUORUM_WEBHOOK_SECRET": SECRET}, services=services)
    return app, services, job_id


def _next_run(services: Services, job_id: int) -> datetime | None:
    with services.db.session() as session:
        job = session.get(SyncJob, job_id)
        assert job is not None
        return job.next_run_at


@pytest.mark.parametrize("headers", [{}, {"X-Quorum-Webhook-Secret": "wrong"}])
def test_refused_without_the_secret(
    setup: tuple[Flask, Services, int], headers: dict[str, str]
) -> None:
    app, services, job_id = setup
    before = _next_run(services, job_id)
    response = app.test_client().post("/webhooks/nextcloud", json=FILE_EVENT, headers=headers)
    assert response.status_code == 401
    assert _next_run(services, job_id) == before


@pytest.mark.parametrize("payload", [FILE_EVENT, CALENDAR_EVENT])
def test_event_makes_the_job_due_and_the_scheduler_syncs(
    setup: tuple[Flask, Services, int], payload: dict[str, object]
) -> None:
    app, services, job_id = setup
    scheduler = Scheduler(services, holder="a")
    assert scheduler.tick() == []  # not due for an hour
    response = app.test_client().post(
        "/webhooks/nextcloud", json=payload, headers={"X-Quorum-Webhook-Secret": SECRET}
    )
    assert response.status_code == 202 and response.json["queued"] == 1  # type: ignore[index]
    [report] = scheduler.tick()
    assert report.outcome == "ok"
    next_run = _next_run(services, job_id)
    assert next_run is not None and next_run > datetime.now(UTC) + timedelta(minutes=59)


def test_unrelated_event_is_ignored(setup: tuple[Flask, Services, int]) -> None:
    app, _services, _job_id = setup
    other = {"user": {"uid": "alice"}, "event": {"class": "OCP\\User\\Events\\UserLoggedInEvent"}}
    response = app.test_client().post(
        "/webhooks/nextcloud", json=other, headers={"X-Quorum-Webhook-Secret": SECRET}
    )
    assert response.status_code == 202 and response.json["ignored"] is True  # type: ignore[index]


def test_disabled_without_a_configured_secret(setup: tuple[Flask, Services, int]) -> None:
    app, _services, _job_id = setup
    app.config["QUORUM_WEBHOOK_SECRET"] = ""
    response = app.test_client().post(
        "/webhooks/nextcloud", json=FILE_EVENT, headers={"X-Quorum-Webhook-Secret": ""}
    )
    assert response.status_code == 404
