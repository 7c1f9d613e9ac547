"""register guard: the register of deliberations append-only in the database, its head anchored;
handover deactivation date and items still held

- Triggers refuse any UPDATE or DELETE of ``minutes_register`` rows (and TRUNCATE on PostgreSQL),
  on SQLite (``RAISE(ABORT)``) and PostgreSQL (a PL/pgSQL function).
- ``register_heads`` keeps each association's last (seq, entry hash), written in the same
  transaction as each entry: removing the tail of the chain no longer leaves a valid chain.
  Its triggers let the head move forward by one entry only, onto an entry that exists, and
  refuse deleting it.
- An association that has a register can no longer be deleted (RESTRICT instead of CASCADE).
- ``handovers.deactivated_at``: when the departing member's account was first seen deactivated;
  ``handover_items.held``: the last inventory still found the item with them (ticked or not).

SQLite drops a table's triggers when batch mode recreates it: a later migration that rebuilds
``minutes_register`` must create them again (``create_guard``).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

FK_NAME = "minutes_register_association_id_fkey"  # PostgreSQL's name for the 0014 key
# SQLite keeps the 0014 key unnamed: batch mode names it by this convention to drop it.
SQLITE_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
SQLITE_FK = "fk_minutes_register_association_id_associations"

REFUSED = "the register of deliberations is append-only"
HEAD_REFUSED = "the register head only moves forward, one entry at a time"

_SQLITE_HEAD_OK = (
    "EXISTS (SELECT 1 FROM minutes_register r WHERE r.association_id = NEW.association_id "
    "AND r.seq = NEW.seq AND r.entry_hash = NEW.entry_hash) AND NOT EXISTS (SELECT 1 FROM "
    "minutes_register r WHERE r.association_id = NEW.association_id AND r.seq > NEW.seq)"
)

SQLITE_GUARD = (
    "CREATE TRIGGER minutes_register_no_update BEFORE UPDATE ON minutes_register "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    "CREATE TRIGGER minutes_register_no_delete BEFORE DELETE ON minutes_register "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    "CREATE TRIGGER register_heads_insert BEFORE INSERT ON register_heads "
    f"WHEN NOT ({_SQLITE_HEAD_OK}) BEGIN SELECT RAISE(ABORT, '{HEAD_REFUSED}'); END",
    "CREATE TRIGGER register_heads_forward BEFORE UPDATE ON register_heads "
    "WHEN NEW.association_id <> OLD.association_id OR NEW.seq <> OLD.seq + 1 "
    f"OR NOT ({_SQLITE_HEAD_OK}) BEGIN SELECT RAISE(ABORT, '{HEAD_REFUSED}'); END",
    "CREATE TRIGGER register_heads_no_delete BEFORE DELETE ON register_heads "
    f"BEGIN SELECT RAISE(ABORT, '{HEAD_REFUSED}'); END",
)
SQLITE_TRIGGERS = (
    "minutes_register_no_update",
    "minutes_register_no_delete",
    "register_heads_insert",
    "register_heads_forward",
    "register_heads_no_delete",
)

POSTGRES_GUARD = (
    f"""CREATE FUNCTION quorum_register_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{REFUSED}' USING ERRCODE = 'integrity_constraint_violation';
END $$""",
    f"""CREATE FUNCTION quorum_register_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR (TG_OP = 'UPDATE' AND (NEW.association_id <> OLD.association_id
                                 OR NEW.seq <> OLD.seq + 1))
       OR NOT EXISTS (SELECT 1 FROM minutes_register r
                      WHERE r.association_id = NEW.association_id
                        AND r.seq = NEW.seq AND r.entry_hash = NEW.entry_hash)
       OR EXISTS (SELECT 1 FROM minutes_register r
                  WHERE r.association_id = NEW.association_id AND r.seq > NEW.seq) THEN
        RAISE EXCEPTION '{HEAD_REFUSED}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$""",
    "CREATE TRIGGER minutes_register_append_only BEFORE UPDATE OR DELETE ON minutes_register "
    "FOR EACH ROW EXECUTE FUNCTION quorum_register_append_only()",
    "CREATE TRIGGER minutes_register_no_truncate BEFORE TRUNCATE ON minutes_register "
    "FOR EACH STATEMENT EXECUTE FUNCTION quorum_register_append_only()",
    "CREATE TRIGGER register_heads_forward BEFORE INSERT OR UPDATE OR DELETE ON register_heads "
    "FOR EACH ROW EXECUTE FUNCTION quorum_register_head_forward()",
    "CREATE TRIGGER register_heads_no_truncate BEFORE TRUNCATE ON register_heads "
    "FOR EACH STATEMENT EXECUTE FUNCTION quorum_register_append_only()",
)
POSTGRES_UNGUARD = (
    "DROP TRIGGER IF EXISTS register_heads_no_truncate ON register_heads",
    "DROP TRIGGER IF EXISTS register_heads_forward ON register_heads",
    "DROP TRIGGER IF EXISTS minutes_register_no_truncate ON minutes_register",
    "DROP TRIGGER IF EXISTS minutes_register_append_only ON minutes_register",
    "DROP FUNCTION IF EXISTS quorum_register_head_forward()",
    "DROP FUNCTION IF EXISTS quorum_register_append_only()",
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def create_guard() -> None:
    for statement in SQLITE_GUARD if _sqlite() else POSTGRES_GUARD:
        op.execute(statement)


def drop_guard() -> None:
    if _sqlite():
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for statement in POSTGRES_UNGUARD:
        op.execute(statement)


def _set_register_fk(ondelete: str) -> None:
    if _sqlite():
        with op.batch_alter_table(
            "minutes_register", naming_convention=SQLITE_NAMING, recreate="always"
        ) as batch:
            batch.drop_constraint(_sqlite_fk_name(), type_="foreignkey")
            batch.create_foreign_key(
                FK_NAME, "associations", ["association_id"], ["id"], ondelete=ondelete
            )
        return
    op.drop_constraint(FK_NAME, "minutes_register", type_="foreignkey")
    op.create_foreign_key(
        FK_NAME, "minutes_register", "associations", ["association_id"], ["id"], ondelete=ondelete
    )


def _sqlite_fk_name() -> str:
    for key in sa.inspect(op.get_bind()).get_foreign_keys("minutes_register"):
        if key["referred_table"] == "associations":
            return key["name"] or SQLITE_FK
    return SQLITE_FK


def upgrade() -> None:
    _set_register_fk("RESTRICT")
    op.create_table(
        "register_heads",
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["association_id"], ["associations.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("association_id"),
    )
    op.execute(  # the head of every register kept so far: its last entry
        "INSERT INTO register_heads (association_id, seq, entry_hash) "
        "SELECT r.association_id, r.seq, r.entry_hash FROM minutes_register r "
        "WHERE r.seq = (SELECT MAX(m.seq) FROM minutes_register m "
        "WHERE m.association_id = r.association_id)"
    )
    create_guard()

    with op.batch_alter_table("handovers") as batch:
        batch.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("handover_items") as batch:
        batch.add_column(
            sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    # as before this revision: an item ticked or gone is no longer held, until the next inventory
    op.execute("UPDATE handover_items SET held = false WHERE done_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("handover_items") as batch:
        batch.drop_column("held")
    with op.batch_alter_table("handovers") as batch:
        batch.drop_column("deactivated_at")
    drop_guard()
    op.drop_table("register_heads")
    _set_register_fk("CASCADE")
