"""occurrences: a partial index of open tasks, by calendar and start

The overview shows the latest overdue tasks of the past year. A calendar's year holds
thousands of items and few open tasks: read through (collection_id, start), finding them
scanned the year (2,500 rows, 1.9 ms at the large benchmark size); this index holds only the
open tasks (issue 14).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# As sidecar.storage.models.OPEN_TASK spells it (a migration keeps its own copy).
OPEN_TASK = (
    "component = 'VTODO' AND (status IS NULL OR status NOT IN ('CANCELLED', 'COMPLETED'))"
)


def upgrade() -> None:
    op.create_index(
        "ix_occurrences_open_tasks",
        "occurrences",
        ["collection_id", "start"],
        postgresql_where=sa.text(OPEN_TASK),
        sqlite_where=sa.text(OPEN_TASK),
    )


def downgrade() -> None:
    op.drop_index("ix_occurrences_open_tasks", table_name="occurrences")
