"""Someone with the database owner's rights lifts the register's guard (migration 0016), as a
tampering attempt would: SQLite drops its triggers, PostgreSQL disables them."""

from __future__ import annotations

from sqlalchemy import text

from sidecar.context import Services

SQLITE_TRIGGERS = (
    "minutes_register_no_update",
    "minutes_register_no_delete",
    "register_heads_insert",
    "register_heads_forward",
    "register_heads_no_delete",
)


def lift_guard(services: Services) -> None:
    with services.db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for name in SQLITE_TRIGGERS:
                conn.execute(text(f"DROP TRIGGER {name}"))
            return
        conn.execute(text("ALTER TABLE minutes_register DISABLE TRIGGER USER"))
        conn.execute(text("ALTER TABLE register_heads DISABLE TRIGGER USER"))
