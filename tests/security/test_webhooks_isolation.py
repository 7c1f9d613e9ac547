"""Webhooks: each association has its own secret and address, and an event for one never
queues another's jobs (issue 12, item 5). Both associations read as "alice" on a shared
Nextcloud, the case where the install-wide secret used to queue both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from sidecar.config import load_settings
from sidecar.context import Services
from sidecar.services import jobs, sources, webhook_secrets
from sidecar.storage.models import Association, SyncJob
from sidecar.web import create_app
from sidecar.web.webhooks import SECRET_HEADER

GLOBAL = "install-wide-secret"
EVENT = {
    "user": {"uid": "alice"},
    "event": {
        "class": "OCP\\Files\\Events\\Node\\NodeWrittenEvent",
        "node": {"id": 42, "path": "/alice/files/Subventions/budget.ods"},
    },
}


@pytest.fixture
def two(tmp_path: Path) -> tuple[Flask, Services, dict[str, tuple[int, str]]]:
    overrides = {"data_dir": str(tmp_path / "q"), "allow_private_addresses": "true"}
    services = Services.from_settings(load_settings(environ={}, overrides=overrides))
    later = datetime.now(UTC) + timedelta(hours=1)
    made: dict[str, tuple[int, str]] = {}
    with services.db.session() as session:
        for slug in ("jardins", "velo"):
            association = Association(slug=slug, name=slug, settings={})
            session.add(association)
            session.flush()
            source = sources.add_source(
                session,
                services.vault,
                association,
                "nc",
                "http://127.0.0.1:9/",
                "alice",
                "app-password",
                allow_private=True,
            )
            job = jobs.create_job(session, association, source, "docs", every="1h", now=later)
            made[slug] = (job.id, webhook_secrets.new_secret(association))
    app = create_app({"TESTING": True, "QUORUM_WEBHOOK_SECRET": GLOBAL}, services=services)
    return app, services, made


def _due(services: Services) -> set[int]:
    with services.db.session() as session:
        now = datetime.now(UTC)
        return {
            job.id
            for job in session.scalars(select(SyncJob))
            if job.next_run_at is not None and job.next_run_at <= now
        }


def test_an_event_queues_only_its_associations_jobs(
    two: tuple[Flask, Services, dict[str, tuple[int, str]]],
) -> None:
    app, services, made = two
    client = app.test_client()
    jardins_job, jardins_secret = made["jardins"]
    answer = client.post(
        "/webhooks/nextcloud/jardins", json=EVENT, headers={SECRET_HEADER: jardins_secret}
    )
    assert answer.status_code == 202 and answer.get_json()["queued"] == 1
    assert _due(services) == {jardins_job}


def test_one_associations_secret_opens_no_other_address(
    two: tuple[Flask, Services, dict[str, tuple[int, str]]],
) -> None:
    app, services, made = two
    client = app.test_client()
    for url, secret in (
        ("/webhooks/nextcloud/velo", made["jardins"][1]),
        ("/webhooks/nextcloud/nope", made["jardins"][1]),
        ("/webhooks/nextcloud/velo", ""),
        ("/webhooks/nextcloud/velo", GLOBAL),
    ):
        assert client.post(url, json=EVENT, headers={SECRET_HEADER: secret}).status_code == 401
    shared = client.post("/webhooks/nextcloud", json=EVENT, headers={SECRET_HEADER: GLOBAL})
    assert shared.status_code == 404, "the install-wide secret cannot tell associations apart"
    assert _due(services) == set()


def test_a_new_secret_replaces_the_old_one(
    two: tuple[Flask, Services, dict[str, tuple[int, str]]],
) -> None:
    app, services, made = two
    with services.db.session() as session:
        velo = session.scalar(select(Association).where(Association.slug == "velo"))
        assert velo is not None
        fresh = webhook_secrets.new_secret(velo)
    client = app.test_client()
    old = client.post(
        "/webhooks/nextcloud/velo", json=EVENT, headers={SECRET_HEADER: made["velo"][1]}
    )
    assert old.status_code == 401
    new = client.post("/webhooks/nextcloud/velo", json=EVENT, headers={SECRET_HEADER: fresh})
    assert new.status_code == 202


def test_the_cli_makes_an_associations_secret(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sidecar.cli import cli

    env = {"QUORUM_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    overrides = {"data_dir": str(tmp_path / "data")}
    services = Services.from_settings(load_settings(environ={}, overrides=overrides))
    try:
        with services.db.session() as session:
            association = Association(slug="jardins", name="Jardins", settings={})
            session.add(association)
        done = runner.invoke(cli, ["webhook", "secret"], env=env, catch_exceptions=False)
        assert done.exit_code == 0, done.output
        secret = done.stdout.splitlines()[0]
        with services.db.session() as session:
            found = session.scalar(select(Association).where(Association.slug == "jardins"))
            assert found is not None and webhook_secrets.matches(found, secret)
            assert secret not in str(found.settings), "only its hash is kept"
    finally:
        services.db.dispose()
