"""grants, piece ticks, officer changes, feed tokens

Revision ID: 0003_grants
Revises: 0002_meetings
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_grants"
down_revision = "0002_meetings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("funder", sa.String(length=200), nullable=False),
        sa.Column("programme", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount_requested_cents", sa.Integer(), nullable=True),
        sa.Column("amount_awarded_cents", sa.Integer(), nullable=True),
        sa.Column("submission_deadline", sa.Date(), nullable=True),
        sa.Column("decision_date", sa.Date(), nullable=True),
        sa.Column("action_start", sa.Date(), nullable=True),
        sa.Column("action_end", sa.Date(), nullable=True),
        sa.Column("report_due", sa.Date(), nullable=True),
        sa.Column("folder", sa.String(length=1000), nullable=True),
        sa.Column("owner_member_id", sa.Integer(), nullable=True),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["association_id"], ["associations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_member_id"], ["members.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_grants_association", "grants", ["association_id"])
    op.create_table(
        "grant_piece_ticks",
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("piece_key", sa.String(length=64), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=False),
        sa.Column("ticked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["grant_id"], ["grants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("grant_id", "piece_key"),
    )
    op.create_table(
        "officer_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["association_id"], ["associations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("feed_tokens")
    op.drop_table("officer_changes")
    op.drop_table("grant_piece_ticks")
    op.drop_index("ix_grants_association", table_name="grants")
    op.drop_table("grants")
