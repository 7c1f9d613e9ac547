"""``quorum backup FILE`` and ``quorum restore FILE``: one file holds the whole database.

- **SQLite**: SQLite's online backup API (``sqlite3.Connection.backup``), a consistent copy even
  while the web and the scheduler write; restore copies it back the same way, in one step.
- **PostgreSQL**: ``pg_dump --format=custom`` when ``pg_dump`` is on PATH (restored with
  ``pg_restore --clean --if-exists --single-transaction``); without the client tools, a portable
  JSON dump of every table read through SQLAlchemy (restored in one transaction, parents
  before children). The JSON form also moves a database between SQLite and PostgreSQL.

A SQLite file or a pg_dump archive carries its Alembic revision, and ``restore`` upgrades to the
current schema afterwards, so a backup taken by an older Quorum restores into a newer one. A JSON
dump restores into the same schema revision only (it is refused otherwise: restore it with the
Quorum that made it, then upgrade). Stop the web and the scheduler while restoring. Secrets stay encrypted in the dump:
keep the key file (``QUORUM_KEY_FILE``) with the backup, or the app passwords cannot be read.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import sqlite3
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, Table, delete, func, insert, select, text
from sqlalchemy.engine import make_url

from sidecar.errors import QuorumError
from sidecar.storage import Database
from sidecar.storage.private_files import ensure_private

JSON_FORMAT = "quorum-json-1"
PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
TOOL_TIMEOUT = 3600  # seconds for pg_dump / pg_restore


def backup(db: Database, target: Path, *, portable: bool = False) -> str:
    """Write the database to ``target``; returns the format used."""
    target.parent.mkdir(parents=True, exist_ok=True)
    ensure_private(target)  # a backup holds everything: 0600 before the first byte
    try:
        return _write_backup(db, target, portable=portable)
    finally:
        if target.exists():
            ensure_private(target)  # pg_dump may have replaced the file


def _write_backup(db: Database, target: Path, *, portable: bool) -> str:
    if db.engine.dialect.name == "sqlite" and not portable:
        _sqlite_backup(_sqlite_path(db), target)
        return "sqlite"
    if db.engine.dialect.name == "postgresql" and not portable and shutil.which("pg_dump"):
        schema = _current_schema(db)
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                f"--schema={schema}",  # Quorum's schema only, not a shared database's others
                f"--file={target}",
                _pg_url(db),
            ]
        )
        return "pg_dump"
    _json_dump(db.engine, target)
    return "json"


def restore(db: Database, source: Path) -> str:
    """Replace the database's content with ``source``; returns the format found."""
    if not source.is_file():
        raise QuorumError(f"{source} does not exist or is not a file.")
    kind = detect(source)
    if kind == "sqlite":
        if db.engine.dialect.name != "sqlite":
            raise QuorumError(
                "This backup is a SQLite file; to move it into PostgreSQL, take a portable "
                "backup from the SQLite install (`quorum backup --portable FILE`)."
            )
        db.dispose()
        _sqlite_backup(source, _sqlite_path(db))
    elif kind == "pg_dump":
        if db.engine.dialect.name != "postgresql" or not shutil.which("pg_restore"):
            raise QuorumError(
                "This is a pg_dump archive: restore it into PostgreSQL with pg_restore."
            )
        db.dispose()
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_pg_url(db)}",
                str(source),
            ]
        )
    else:
        _json_restore(db, source)
    db.upgrade()
    return kind


def detect(path: Path) -> str:
    """``sqlite``, ``pg_dump`` or ``json`` from the file's first bytes."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "pg_dump"
    if head.startswith(GZIP_MAGIC):
        return "json"
    raise QuorumError(f"{path} is not a Quorum backup (neither SQLite, pg_dump nor JSON).")


# --- SQLite -----------------------------------------------------------------------------------


def _sqlite_path(db: Database) -> Path:
    database = make_url(db.url).database
    if not database or database == ":memory:":
        raise QuorumError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy with the online backup API (pages copied under SQLite's own locking)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


# --- PostgreSQL tools -------------------------------------------------------------------------


def _current_schema(db: Database) -> str:
    with db.engine.connect() as conn:
        return str(conn.scalar(text("SELECT current_schema()")))


def _pg_url(db: Database) -> str:
    """A libpq URL (no SQLAlchemy driver suffix); passed as an argument, never logged."""
    url = make_url(db.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=TOOL_TIMEOUT)  # noqa: S603
    except subprocess.CalledProcessError as err:
        message = err.stderr.decode("utf-8", "replace").strip().splitlines()
        raise QuorumError(f"{command[0]} failed: {message[-1] if message else err}") from None
    except subprocess.TimeoutExpired:
        raise QuorumError(f"{command[0]} took more than {TOOL_TIMEOUT} s; stopped.") from None


# --- portable JSON ----------------------------------------------------------------------------


def _tables(engine: Engine) -> list[Table]:
    """Every table of the database, parents before children (Alembic's own table included)."""
    metadata = MetaData()
    metadata.reflect(engine)
    return list(metadata.sorted_tables)


def _revisions(conn: Any) -> list[str]:
    return sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _json_dump(engine: Engine, target: Path) -> None:
    with engine.connect() as conn, gzip.open(target, "wt", encoding="utf-8") as out:
        header = {"format": JSON_FORMAT, "dialect": engine.dialect.name}
        out.write(json.dumps({**header, "revisions": _revisions(conn)}) + "\n")
        for table in _tables(engine):
            if table.name == "alembic_version":
                continue
            columns = [column.name for column in table.columns]
            out.write(json.dumps({"table": table.name, "columns": columns}) + "\n")
            for row in conn.execute(select(table)).yield_per(1000):
                out.write(json.dumps([_encode(value) for value in row]) + "\n")


def _json_restore(db: Database, source: Path) -> None:
    """Empty every table and load the dump, in one transaction (all or nothing)."""
    db.upgrade()  # the tables must exist (an empty database restores too)
    tables = {t.name: t for t in _tables(db.engine) if t.name != "alembic_version"}
    with gzip.open(source, "rt", encoding="utf-8") as handle, db.engine.begin() as conn:
        header = json.loads(handle.readline() or "{}")
        if header.get("format") != JSON_FORMAT:
            raise QuorumError(f"{source} is not a Quorum JSON backup.")
        if header.get("revisions") != _revisions(conn):
            raise QuorumError(
                f"{source} was taken at schema {header.get('revisions')}, this database is at "
                f"{_revisions(conn)}: restore it with the Quorum version that made it, then "
                "upgrade."
            )
        lifted = _lift_triggers(conn, list(tables))
        for table in reversed(list(tables.values())):
            conn.execute(delete(table))
        current: Table | None = None
        columns: list[str] = []
        batch: list[dict[str, Any]] = []
        for line in handle:
            item = json.loads(line)
            if isinstance(item, dict):
                _flush(conn, current, batch)
                current, columns = tables.get(item["table"]), item["columns"]
                if current is None:
                    raise QuorumError(f"The backup has a table {item['table']!r} unknown here.")
                continue
            assert current is not None
            batch.append(_decode_row(current, columns, item))
            if len(batch) >= 1000:
                _flush(conn, current, batch)
        _flush(conn, current, batch)
        _restore_triggers(conn, list(tables), lifted)
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn, list(tables.values()))


def _lift_triggers(conn: Any, tables: list[str]) -> list[str]:
    """Triggers off while the tables are emptied and loaded (the register's guard refuses any
    DELETE, and its head may only follow entries already there): a restore replaces the whole
    database, register included. Returns what :func:`_restore_triggers` needs."""
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
        saved = [(str(name), str(sql)) for name, sql in rows]
        for name, _sql in saved:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        return [sql for _name, sql in saved]
    for table in tables:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
    return []


def _restore_triggers(conn: Any, tables: list[str], lifted: list[str]) -> None:
    if conn.dialect.name == "sqlite":
        for sql in lifted:
            conn.exec_driver_sql(sql)
        return
    for table in tables:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')


def _flush(conn: Any, table: Table | None, batch: list[dict[str, Any]]) -> None:
    if table is not None and batch:
        conn.execute(insert(table), batch)
    batch.clear()


def _reset_sequences(conn: Any, tables: list[Table]) -> None:
    """Serial ids continue after the restored rows."""
    for table in tables:
        columns = list(table.primary_key.columns)
        if len(columns) != 1:
            continue
        column = columns[0]
        sequence = conn.scalar(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
        )
        if sequence is None:
            continue  # not a serial column (a name, a composite key part)
        highest = conn.scalar(select(func.max(table.c[column.name]))) or 0
        conn.execute(text("SELECT setval(:s, :v, false)"), {"s": sequence, "v": highest + 1})


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"$t": aware.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    return value


def _decode_row(table: Table, columns: list[str], values: list[Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in zip(columns, values, strict=True):
        if name not in table.columns:
            continue  # a column dropped since the backup was taken
        row[name] = _decode(value)
    return row


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        [(key, inner)] = value.items()
        if key == "$b":
            return base64.b64decode(inner)
        if key == "$t":
            return datetime.fromisoformat(inner)
        if key == "$d":
            return date.fromisoformat(inner)
    return value
