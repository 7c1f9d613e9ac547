"""The one storage layer: engine, sessions, migrations. Nothing else opens a database connection."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, exc, inspect, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from sidecar.storage.private_files import ensure_private

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Database:
    """An engine plus a session factory; ``session()`` is one transaction."""

    def __init__(self, url: str, *, connections: int = 15) -> None:
        url = normalise_url(url)
        self.url = url
        _private_sqlite_file(url)
        # A sync run holds a read session across its requests and writes its progress in a
        # second one: a pool of N sync workers needs about 2N connections, plus the web's.
        in_memory = url.startswith("sqlite") and (":memory:" in url or url.rstrip("/") == "sqlite:")
        size = {} if in_memory else {"pool_size": 5, "max_overflow": max(10, connections - 5)}
        self.engine: Engine = create_engine(url, **_engine_options(url), **size)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            event.listen(self.engine.pool, "checkin", _checked_in)
            event.listen(self.engine.pool, "checkout", _ping_if_idle)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any exception."""
        with self._sessions() as session, session.begin():
            yield session

    def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations (creates the schema on an empty database).

        A database already at head is seen in two queries, without loading the migration
        scripts (12 ms of CPU each time a process or a test opened the database)."""
        with self.engine.begin() as connection:
            if revision == "head" and _applied(connection) == [_script_head()]:
                return
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            _collapse_old_heads(connection, ScriptDirectory.from_config(config))
            command.upgrade(config, revision)

    def dispose(self) -> None:
        self.engine.dispose()

    def refresh_statistics(self) -> None:
        """Let SQLite's planner know the tables' sizes after a sync changed them.

        Without statistics SQLite walks the documents page's "latest modified files" through
        the collection index and sorts every file (8 ms at 5,000 files); with them it reads the
        modification-time index and stops at 20 (0.02 ms). ANALYZE took 8 ms at that size;
        sampled statistics (``analysis_limit``) chose the slow plan again. PostgreSQL's
        autovacuum keeps its own statistics.
        """
        if not self.url.startswith("sqlite"):
            return
        with self.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


@cache
def _script_head() -> str | None:
    """The head revision of the migrations shipped with this code (read once per process)."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _applied(connection: Connection) -> list[str]:
    """The revisions recorded in the database (none on an empty one)."""
    if not inspect(connection).has_table("alembic_version"):
        return []
    return [row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))]


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (the driver we ship), not psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _private_sqlite_file(url: str) -> None:
    """A SQLite database holds every association's data: its file is 0600 from the start
    (SQLite gives its -wal and -shm files the same mode)."""
    if not url.startswith("sqlite"):
        return
    name = make_url(url).database
    # A missing folder is left for SQLite to report, as it always did (no folder made here).
    if name and name != ":memory:" and not name.startswith("file:") and Path(name).parent.is_dir():
        ensure_private(Path(name))


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # A web worker, the scheduler and the CLI share the file: wait for locks, don't fail.
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {}  # no pool_pre_ping: see _ping_if_idle


# A connection back from the pool after this long is checked before use (the server may have
# restarted, or closed it); one reused at once is not. ``pool_pre_ping`` checked every
# checkout: two round trips per web request, about 0.2 ms of its CPU on PostgreSQL.
PING_AFTER_IDLE = 10.0  # seconds
_IDLE_SINCE = "quorum_idle_since"


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Check a connection that sat in the pool; a dead one makes the pool connect again."""
    idle_since = record.info.get(_IDLE_SINCE)
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as err:  # whatever the driver raises for a dead connection
        raise exc.DisconnectionError(f"pooled connection unusable: {err}") from err


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _collapse_old_heads(connection: Connection, scripts: ScriptDirectory) -> None:
    """Databases made before the history was linear hold one row per branch head (0002…0008 all
    started from 0001). Every branch had been applied in the order the revisions were written,
    which is now the linear order: keep the latest row, so Alembic sees one current revision."""
    current = _applied(connection)
    if len(current) < 2:
        return
    order = [rev.revision for rev in reversed(list(scripts.walk_revisions()))]
    latest = max(current, key=order.index)
    connection.execute(text("DELETE FROM alembic_version WHERE version_num <> :v"), {"v": latest})


# Every session of every process marks the alerts cycle due on a settings change (see changes).
from sidecar.storage import changes as _changes  # noqa: E402, F401
