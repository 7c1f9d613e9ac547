"""grant_aliases: the former addresses of recorded grant dossiers; associations.alerts_checked_at

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grant_aliases",
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("old_key", sa.String(length=1100), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["association_id"], ["associations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["grant_id"], ["grants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("association_id", "old_key"),
    )
    with op.batch_alter_table("associations") as batch:
        batch.add_column(sa.Column("alerts_checked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops a column in place. A batch copy of associations would drop the
        # table, which the register's RESTRICT key (0016) refuses while entries exist.
        op.execute("ALTER TABLE associations DROP COLUMN alerts_checked_at")
    else:
        op.drop_column("associations", "alerts_checked_at")
    op.drop_table("grant_aliases")
