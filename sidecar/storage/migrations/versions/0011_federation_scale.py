"""federation scale: an association's next alerts cycle and its disabled mark; job start lag; due-job index

Revision ID: 0011
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("associations") as batch:
        batch.add_column(sa.Column("alerts_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_associations_alerts_due_at", ["alerts_due_at"])
    with op.batch_alter_table("sync_jobs") as batch:
        batch.add_column(sa.Column("last_lag_seconds", sa.Float(), nullable=True))
    op.create_index("ix_sync_jobs_next_run_at", "sync_jobs", ["next_run_at"])


def downgrade() -> None:
    op.drop_index("ix_sync_jobs_next_run_at", table_name="sync_jobs")
    with op.batch_alter_table("sync_jobs") as batch:
        batch.drop_column("last_lag_seconds")
    with op.batch_alter_table("associations") as batch:
        batch.drop_index("ix_associations_alerts_due_at")
        batch.drop_column("disabled_at")
        batch.drop_column("alerts_due_at")
