"""data integrity: 64-bit file sizes; occurrences keyed by (object, UID, RECURRENCE-ID)

A Nextcloud holding more than 2 GiB overflowed the 32-bit size of its root folder on PostgreSQL
(the root row holds the tree's size), and an object holding several UIDs (or a THISANDFUTURE
edit) lost instances keyed by RECURRENCE-ID alone.

Revision ID: 0009
Revises: 0008_share_audit_notes
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008_share_audit_notes"
branch_labels = None
depends_on = None

NEW_KEY = "uq_occurrences_object_uid_recurrence"
# SQLite keeps the initial constraint unnamed: batch mode names it by this convention to drop it.
SQLITE_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    with op.batch_alter_table("files") as batch:
        batch.alter_column(
            "size", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True
        )
    _rekey(("object_id", "recurrence_id"), ("object_id", "uid", "recurrence_id"), NEW_KEY)


def downgrade() -> None:
    # Rows that differ only by UID would collide under the old key: keep the first of each.
    op.execute(
        "DELETE FROM occurrences WHERE id NOT IN (SELECT MIN(id) FROM occurrences "
        "GROUP BY object_id, recurrence_id)"
    )
    _rekey(("object_id", "uid", "recurrence_id"), ("object_id", "recurrence_id"), None)
    with op.batch_alter_table("files") as batch:
        batch.alter_column(
            "size", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True
        )


def _rekey(old: tuple[str, ...], new: tuple[str, ...], name: str | None) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "occurrences", naming_convention=SQLITE_NAMING, recreate="always"
        ) as batch:
            batch.drop_constraint(
                NEW_KEY if name is None else f"uq_occurrences_{old[0]}", type_="unique"
            )
            batch.create_unique_constraint(name, list(new))
        return
    old_name = NEW_KEY if name is None else "occurrences_object_id_recurrence_id_key"
    op.drop_constraint(old_name, "occurrences", type_="unique")
    op.create_unique_constraint(name, "occurrences", list(new))
