"""cached sharing audit per association; who claimed an alert delivery

Revision ID: 0007_share_audit
Revises: 0006_access
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_share_audit"
down_revision = "0006_access"
branch_labels = None
# alert_deliveries is created by 0005_alerts: this branch must come after it.
depends_on = None


def upgrade() -> None:
    op.create_table(
        "share_audits",
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["association_id"], ["associations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("association_id"),
    )
    with op.batch_alter_table("alert_deliveries") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_deliveries") as batch:
        batch.drop_column("claimed_by")
    op.drop_table("share_audits")
