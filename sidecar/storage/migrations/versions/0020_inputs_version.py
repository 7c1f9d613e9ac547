"""associations.inputs_version: a count of the writes to what the read models depend on

Every write to an association's settings, bodies, seats, members, overrides, grants or
mirror adds one (sidecar.storage.changes), in the writing transaction: a reader that checked
the read models at this count need not read their inputs again (issue 14).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild): SQLite accepts it with a default.
    op.add_column(
        "associations",
        sa.Column("inputs_version", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place (SQLite 3.35+): a batch copy of associations would drop the table, which
        # the register's RESTRICT key (0016) refuses while entries exist (as in 0018).
        op.execute("ALTER TABLE associations DROP COLUMN inputs_version")
    else:
        op.drop_column("associations", "inputs_version")
