"""Storage: migrations create exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from sidecar import storage
from sidecar.context import Services, resolve_association
from sidecar.storage import Database, normalise_url
from sidecar.storage.models import Association, Base, Source


def test_migrations_match_the_models(services: Services) -> None:
    with services.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_twice_is_harmless(services: Services) -> None:
    services.db.upgrade()
    services.db.upgrade()
    with services.db.session() as session:
        assert resolve_association(session, None, create=True).slug == "default"


def test_datetimes_come_back_aware_utc(services: Services) -> None:
    paris_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        association.created_at = paris_noon
    with services.db.session() as session:
        stored = session.scalar(select(Association.created_at))
    assert stored == paris_noon
    assert stored is not None and stored.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(services: Services) -> None:
    with pytest.raises(Exception, match="naive datetime"), services.db.session() as session:
        association = resolve_association(session, None, create=True)
        association.created_at = datetime(2026, 1, 1)
        session.flush()


def test_a_failed_transaction_leaves_nothing(services: Services) -> None:
    with pytest.raises(RuntimeError), services.db.session() as session:
        association = resolve_association(session, None, create=True)
        session.add(
            Source(
                association_id=association.id,
                name="x",
                base_url="http://x/",
                login="a",
                password_enc=b"",
            )
        )
        session.flush()
        raise RuntimeError("boom")
    with services.db.session() as session:
        assert session.scalar(select(Source)) is None


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_utc_now_default(tmp_path: object) -> None:
    db = Database("sqlite://")
    db.upgrade()
    with db.session() as session:
        session.add(Association(slug="a", name="A", settings={}))
    with db.session() as session:
        created = session.scalar(select(Association.created_at))
    assert created is not None and abs(created - datetime.now(UTC)) < timedelta(minutes=1)


def _kill_pooled_connection(db: Database) -> None:
    """Leave one connection in the pool whose server process was ended (a restart, an idle
    timeout), as the next request would find it."""
    with db.session() as session:
        pid = session.scalar(text("SELECT pg_backend_pid()"))
    killer = create_engine(db.url)  # not from the pool: it would hand out the same one
    try:
        with killer.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()
    finally:
        killer.dispose()


def test_a_connection_that_sat_in_the_pool_is_checked_before_use(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not services.db.url.startswith("postgresql"):
        pytest.skip("PostgreSQL's pool only")
    monkeypatch.setattr(storage, "PING_AFTER_IDLE", 0.0)
    _kill_pooled_connection(services.db)
    with services.db.session() as session:
        assert session.scalar(text("SELECT 1")) == 1


def test_a_connection_reused_at_once_is_not_pinged(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No round trip before each checkout under load (``pool_pre_ping`` made two per web
    request): a connection back in the pool a moment ago is used as it is."""
    if not services.db.url.startswith("postgresql"):
        pytest.skip("PostgreSQL's pool only")
    monkeypatch.setattr(storage, "PING_AFTER_IDLE", 3600.0)
    _kill_pooled_connection(services.db)
    with pytest.raises(OperationalError), services.db.session() as session:
        session.scalar(text("SELECT 1"))
    with services.db.session() as session:  # the pool noticed and connected again
        assert session.scalar(text("SELECT 1")) == 1
