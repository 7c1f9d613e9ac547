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


OLD_KEY_POSTGRES = "occurrences_object_id_recurrence_id_key"  # PostgreSQL's name for it
OLD_KEY_SQLITE = "uq_occurrences_object_id"  # SQLITE_NAMING's name for it


def upgrade() -> None:
    with op.batch_alter_table("files") as batch:
        batch.alter_column(
            "size", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True
        )
    _rekey(_old_key_name(), NEW_KEY, ("object_id", "uid", "recurrence_id"))


def downgrade() -> None:
    # Rows that differ only by UID would collide under the old key: keep the first of each.
    op.execute(
        "DELETE FROM occurrences WHERE id NOT IN (SELECT MIN(id) FROM occurrences "
        "GROUP BY object_id, recurrence_id)"
    )
    _rekey(NEW_KEY, OLD_KEY_POSTGRES, ("object_id", "recurrence_id"))
    with op.batch_alter_table("files") as batch:
        batch.alter_column(
            "size", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True
        )


def _old_key_name() -> str:
    """The name of the (object_id, recurrence_id) key: unnamed on a SQLite created by 0001."""
    for unique in sa.inspect(op.get_bind()).get_unique_constraints("occurrences"):
        if unique["column_names"] == ["object_id", "recurrence_id"]:
            return unique["name"] or OLD_KEY_SQLITE
    return OLD_KEY_POSTGRES


def _rekey(old: str, new: str, columns: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "occurrences", naming_convention=SQLITE_NAMING, recreate="always"
        ) as batch:
            batch.drop_constraint(old, type_="unique")
            batch.create_unique_constraint(new, list(columns))
        return
    op.drop_constraint(old, "occurrences", type_="unique")
    op.create_unique_constraint(new, "occurrences", list(columns))
