"""Upgrades from the first migration keep the data; backup and restore round-trip; /metrics."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from flask.testing import FlaskClient
from sqlalchemy import select, text

from sidecar.config import load_settings
from sidecar.context import Services
from sidecar.services import backup
from sidecar.storage import Database
from sidecar.storage.models import Association, Source, SyncRun
from sidecar.web import create_app

DOCKER = Path(__file__).resolve().parents[2] / "docker"
STARTED = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _seed_at_0001(db: Database) -> None:
    """Rows written with plain SQL, as the schema of migration 0001 had them."""
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO associations (id, slug, name, timezone, language, financial_year_end,"
                " settings, created_at) VALUES (1, 'asso', 'Les Jardins', 'Europe/Paris', 'fr',"
                " '12-31', '{}', :now)"
            ),
            {"now": STARTED},
        )


def test_a_database_created_at_0001_upgrades_to_head_with_its_data(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        db.upgrade("0001")
        _seed_at_0001(db)
        db.upgrade()
        with db.session() as session:
            found = session.scalar(select(Association).where(Association.slug == "asso"))
            assert found is not None and found.name == "Les Jardins"
            assert found.created_at == STARTED
            versions = set(session.scalars(text("SELECT version_num FROM alembic_version")))
        assert versions == {_head()}
    finally:
        db.dispose()


def _head() -> str:
    from alembic.script import ScriptDirectory

    from sidecar.storage import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"the migration history must be linear, found heads {heads}"
    return heads[0]


#: What ``alembic_version`` held before the history was made linear: one row per branch head.
OLD_BRANCH_HEADS = ("0002_meetings", "0003_grants", "0006_access", "0008_share_audit_notes")


def test_a_database_stamped_with_the_old_branch_heads_upgrades_to_one_head(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    try:
        db.upgrade("0008_share_audit_notes")
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM alembic_version"))
            for head in OLD_BRANCH_HEADS:
                conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
        db.upgrade()
        with db.session() as session:
            versions = set(session.scalars(text("SELECT version_num FROM alembic_version")))
        assert versions == {_head()}
    finally:
        db.dispose()


def _services(tmp_path: Path, url: str, name: str) -> Services:
    overrides = {"data_dir": str(tmp_path / name), "database_url": url}
    return Services.from_settings(load_settings(environ={}, overrides=overrides))


def _fill(services: Services) -> None:
    with services.db.session() as session:
        association = Association(slug="asso", name="Les Jardins", settings={"k": [1, 2]})
        session.add(association)
        session.flush()
        source = Source(
            association_id=association.id,
            name="nc",
            base_url="https://cloud.example.org/",
            login="alice",
            password_enc=services.vault.encrypt("app-password"),
            capabilities={},
        )
        session.add(source)
        session.flush()
        session.add(
            SyncRun(source_id=source.id, started_at=STARTED, finished_at=STARTED, outcome="ok")
        )


@pytest.mark.parametrize("portable", [False, True], ids=["native", "json"])
def test_backup_and_restore_round_trip(tmp_path: Path, database_url: str, portable: bool) -> None:
    services = _services(tmp_path, database_url, "a")
    try:
        _fill(services)
        dump = tmp_path / "quorum.backup"
        kind = backup.backup(services.db, dump, portable=portable)
        assert backup.detect(dump) == kind
        with services.db.session() as session:
            session.execute(text("DELETE FROM sync_runs"))
            session.execute(text("DELETE FROM sources"))
        backup.restore(services.db, dump)
        with services.db.session() as session:
            source = session.scalar(select(Source))
            assert source is not None and services.vault.decrypt(source.password_enc) == (
                "app-password"
            )
            association = session.scalar(select(Association))
            assert association is not None and association.settings == {"k": [1, 2]}
            run = session.scalar(select(SyncRun))
            assert run is not None and run.started_at == STARTED
            session.add(Association(slug="after", name="Ids continue after the restore"))
    finally:
        services.db.dispose()


SAMPLE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?P<labels>[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)\})? (?P<value>[-+]?(?:[0-9.e+-]+|Inf|NaN))$'
)


def parse_exposition(body: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """A strict reader of the Prometheus text format 0.0.4: every line must parse."""
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    types: dict[str, str] = {}
    assert body.endswith("\n")
    for line in body.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in {"counter", "gauge", "histogram", "summary", "untyped"}
            types[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, f"not an exposition line: {line!r}"
        name = match["name"]
        assert any(name == t or name.startswith(t + "_") for t in types), f"untyped {name}"
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match["labels"] or ""))
        samples.setdefault(name, []).append((labels, float(match["value"])))
    return samples


def test_metrics_parse_and_need_the_token(tmp_path: Path) -> None:
    overrides = {"data_dir": str(tmp_path / "m"), "metrics_token": "tok"}
    services = Services.from_settings(load_settings(environ={}, overrides=overrides))
    try:
        _fill(services)
        client: FlaskClient = create_app({"TESTING": True}, services=services).test_client()
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
        answer = client.get("/metrics", headers={"Authorization": "Bearer tok"})
        assert answer.status_code == 200
        assert answer.content_type.startswith("text/plain; version=0.0.4")
        samples = parse_exposition(answer.get_data(as_text=True))
        assert samples["quorum_sync_runs_total"] == [({"outcome": "ok"}, 1.0)]
        buckets = samples["quorum_sync_run_duration_seconds_bucket"]
        assert buckets[-1] == ({"outcome": "ok", "le": "+Inf"}, 1.0)
        assert samples["quorum_sync_run_duration_seconds_count"] == [({"outcome": "ok"}, 1.0)]
        assert samples["quorum_scheduler_lease_seconds_remaining"] == [({}, 0.0)]
        assert "quorum_source_last_success_timestamp_seconds" in samples
        lag = dict(
            (labels["quantile"], value)
            for labels, value in samples["quorum_sync_start_lag_seconds"]
        )
        assert lag == {"0.5": 0.0, "0.9": 0.0, "0.95": 0.0, "0.99": 0.0}  # no job has run yet
        assert samples["quorum_sync_jobs_overdue"] == [({}, 0.0)]
        assert samples["quorum_associations"] == [({"state": "active"}, 1.0)]
    finally:
        services.db.dispose()


def test_compose_config_accepts_the_file(tmp_path: Path) -> None:
    """`docker compose config` (or Compose v1's `docker-compose config`) parses and validates
    the file without an engine; CI installs docker-compose for this."""
    import shutil
    import subprocess

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)

    for command in (("docker", "compose"), ("docker-compose",)):
        if shutil.which(command[0]) is None or run(*command, "version").returncode != 0:
            continue  # not installed, or the docker CLI without its compose plugin
        files = ("-f", str(DOCKER / "compose.yaml"), "--env-file", str(DOCKER / ".env.example"))
        result = run(*command, *files, "config", "--quiet")
        assert result.returncode == 0, result.stderr
        return
    pytest.skip("neither `docker compose` nor `docker-compose` is installed here")


def test_compose_file_is_structurally_sound() -> None:
    """What `docker compose config` cannot know: the services and volumes Quorum relies on."""
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "nextcloud", "quorum-web", "quorum-scheduler"}
    web, scheduler = services["quorum-web"], services["quorum-scheduler"]
    assert web["command"] == ["web"] and web["environment"]["QUORUM_SCHEDULER"] == "false"
    assert scheduler["command"] == ["scheduler"] and scheduler["deploy"]["replicas"] == 1
    for name in ("quorum-web", "quorum-scheduler", "nextcloud", "postgres"):
        for volume in services[name].get("volumes", []):
            named = volume.split(":")[0]
            assert named.startswith(".") or named in compose["volumes"], volume
    assert (DOCKER / "postgres-init.sh").exists()
    example = (DOCKER / ".env.example").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{(\w+):\?", (DOCKER / "compose.yaml").read_text()))
    assert required <= {line.split("=")[0] for line in example.splitlines() if "=" in line}
