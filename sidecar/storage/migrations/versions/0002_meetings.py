"""meetings: manual overrides of classification, manual proxies

Revision ID: 0002_meetings
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0002_meetings"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=500), nullable=False),
        sa.Column("recurrence_id", sa.String(length=64), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=True),
        sa.Column("not_a_meeting", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["association_id"], ["associations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["body_id"], ["bodies.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("association_id", "uid", "recurrence_id"),
    )
    op.create_table(
        "meeting_proxies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=500), nullable=False),
        sa.Column("recurrence_id", sa.String(length=64), nullable=False),
        sa.Column("giver", sa.String(length=320), nullable=False),
        sa.Column("holder", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["association_id"], ["associations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("association_id", "uid", "recurrence_id", "giver"),
    )


def downgrade() -> None:
    op.drop_table("meeting_proxies")
    op.drop_table("meeting_overrides")
