"""read_meetings: uid, recurrence_id, all_day and the glance (what a list shows of a meeting)

The table is derived data: it is made again with the new columns, and every association's
read models are marked stale so the next sync or read rebuilds them.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("occurrence_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column(
            "association_id",
            sa.Integer(),
            sa.ForeignKey("associations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("body_code", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("original_day", sa.Date(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
    ]


def _make(extra: list[sa.Column[object]]) -> None:
    """Drop and create ``read_meetings`` (plain DDL, no batch copy), marking it stale."""
    op.drop_index("ix_read_meetings_association_end", table_name="read_meetings")
    op.drop_index("ix_read_meetings_association_start", table_name="read_meetings")
    op.drop_table("read_meetings")
    op.create_table("read_meetings", *_columns(), *extra)
    op.create_index(
        "ix_read_meetings_association_start", "read_meetings", ["association_id", "start"]
    )
    op.create_index("ix_read_meetings_association_end", "read_meetings", ["association_id", "end"])
    op.execute("DELETE FROM read_meeting_files")
    op.execute("DELETE FROM read_model_states")


def upgrade() -> None:
    _make(
        [
            sa.Column("uid", sa.Text(), nullable=False),
            sa.Column("recurrence_id", sa.Text(), nullable=False),
            sa.Column("all_day", sa.Boolean(), nullable=False),
            sa.Column("glance", sa.JSON(), nullable=False),
        ]
    )


def downgrade() -> None:
    _make([])
