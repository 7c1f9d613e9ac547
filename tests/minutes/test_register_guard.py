"""The register of deliberations is append-only in the database itself (migration 0016), on
SQLite and on PostgreSQL: raw SQL can neither change nor remove an entry, nor delete the
association holding it, nor move the register's head back; and a tail removed around the guard
(by someone who lifted the triggers) is reported by ``verify``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from sidecar.cli import cli
from sidecar.context import Services, resolve_association
from sidecar.services import backup, register
from sidecar.storage import alembic_config
from tests.minutes.guard import lift_guard

NOW = datetime(2026, 3, 14, 10, tzinfo=UTC)


def _register(services: Services, entries: int = 3) -> int:
    with services.db.session() as session:
        aid = resolve_association(session, None, create=True).id
        for n in range(1, entries + 1):
            register.append(session, aid, meeting_uid=f"m{n}", meeting_day="2026-03-14",
                            body_code="CA", path=f"/CA/PV {n} signé.pdf", fileid=str(100 + n),
                            etag=f'"e{n}"', sha256="a" * 64, approved_by="chloe",
                            approved_via="officer", now=NOW)  # fmt: skip
    return aid


def _refused(services: Services, sql: str, **params: object) -> str:
    with pytest.raises(DBAPIError) as raised, services.db.session() as session:
        session.execute(text(sql), params)
    return str(raised.value.orig)


def test_raw_sql_can_neither_change_nor_remove_an_entry(services: Services) -> None:
    aid = _register(services)
    refusal = "append-only"
    assert refusal in _refused(services, "UPDATE minutes_register SET sha256 = 'x' WHERE seq = 2")
    assert refusal in _refused(services, "DELETE FROM minutes_register WHERE seq = 3")
    assert refusal in _refused(services, "DELETE FROM minutes_register")
    # the association holding a register cannot be deleted (nor its register with it)
    _refused(services, "DELETE FROM associations WHERE id = :aid", aid=aid)
    # the head moves forward only, by one entry that exists: never back, never away
    head = "only moves forward"
    assert head in _refused(services, "UPDATE register_heads SET seq = 2")
    assert head in _refused(services, "UPDATE register_heads SET entry_hash = 'b'")
    assert head in _refused(services, "DELETE FROM register_heads")
    with services.db.session() as session:
        check = register.check_chain(session, aid)
        assert check.ok and check.entries == 3
        # appending still works: the head follows
        register.append(session, aid, meeting_uid="m4", meeting_day="2026-03-14", body_code="CA",
                        path="/CA/PV 4.pdf", fileid="104", etag='"e4"', sha256="b" * 64,
                        approved_by="chloe", approved_via="officer", now=NOW)  # fmt: skip
    with services.db.session() as session:
        assert register.check_chain(session, aid).entries == 4
        last = register.head(session, aid)
        assert last is not None and last.seq == 4


def test_a_removed_last_entry_is_reported_by_verify(services: Services) -> None:
    aid = _register(services)
    lift_guard(services)  # someone with the owner's rights goes around the triggers
    with services.db.session() as session:
        session.execute(text("DELETE FROM minutes_register WHERE seq = 3"))
    with services.db.session() as session:
        check = register.check_chain(session, aid)
    assert not check.ok and check.entries == 2
    assert check.broken_at == 3 and check.reason == "head"

    env = {
        "QUORUM_DATA_DIR": str(services.settings.data_dir),
        "QUORUM_DATABASE_URL": services.settings.effective_database_url,
        "QUORUM_LANGUAGE": None,
        "LANG": "C.UTF-8",
        "LC_ALL": None,
    }
    verified = CliRunner().invoke(cli, ["minutes", "verify"], env=env)
    assert verified.exit_code == 1 and "entry 3 does not verify (head)" in verified.output

    with services.db.session() as session:  # ... and the head removed as well
        session.execute(text("DELETE FROM register_heads"))
    with services.db.session() as session:
        check = register.check_chain(session, aid)
    assert not check.ok and check.broken_at == 1 and check.reason == "head"


def _triggers(services: Services) -> set[str]:
    with services.db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        else:
            rows = conn.execute(
                text(
                    "SELECT tgname FROM pg_trigger t JOIN pg_class c ON t.tgrelid = c.oid "
                    "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
                )
            )
        return {row[0] for row in rows}


def _migrate(services: Services, revision: str, *, down: bool = False) -> None:
    with services.db.engine.begin() as connection:
        config = alembic_config(services.db.url)
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_downgrade_lifts_the_guard_and_upgrade_anchors_the_existing_register(
    services: Services,
) -> None:
    aid = _register(services)
    assert "register_heads_forward" in _triggers(services)
    _migrate(services, "0015", down=True)
    assert _triggers(services) == set()
    assert "register_heads" not in inspect(services.db.engine).get_table_names()
    [key] = inspect(services.db.engine).get_foreign_keys("minutes_register")
    assert key["options"].get("ondelete") == "CASCADE"

    _migrate(services, "head")  # the existing register gets its head: its last entry
    with services.db.session() as session:
        check = register.check_chain(session, aid)
        head = register.head(session, aid)
    assert check.ok and check.entries == 3 and head is not None and head.seq == 3
    [key] = inspect(services.db.engine).get_foreign_keys("minutes_register")
    assert key["options"].get("ondelete") == "RESTRICT"
    assert "append-only" in _refused(services, "DELETE FROM minutes_register")


@pytest.mark.parametrize("portable", [False, True], ids=["native", "json"])
def test_a_restore_puts_the_register_back_and_keeps_its_guard(
    services: Services, tmp_path: Path, portable: bool
) -> None:
    """A restore replaces the whole database, register included (the JSON restore lifts the
    triggers while it loads, pg_restore and the SQLite copy bring them back with the schema)."""
    aid = _register(services)
    dump = tmp_path / "quorum.backup"
    backup.backup(services.db, dump, portable=portable)
    with services.db.session() as session:
        register.append(session, aid, meeting_uid="m4", meeting_day="2026-03-14", body_code="CA",
                        path="/CA/PV 4.pdf", fileid="104", etag='"e4"', sha256="b" * 64,
                        approved_by="chloe", approved_via="officer", now=NOW)  # fmt: skip
    backup.restore(services.db, dump)
    with services.db.session() as session:
        check = register.check_chain(session, aid)
        last = register.head(session, aid)
    assert check.ok and check.entries == 3 and last is not None and last.seq == 3
    assert "append-only" in _refused(services, "DELETE FROM minutes_register")
    assert "only moves forward" in _refused(services, "UPDATE register_heads SET seq = 2")
