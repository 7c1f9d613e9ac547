"""read models: meetings and their files, derived when the data changes

Revision ID: 0010
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0012"
branch_labels = None
depends_on = None


def _association() -> sa.ForeignKey:
    return sa.ForeignKey("associations.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "read_model_states",
        sa.Column("association_id", sa.Integer(), _association(), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "read_meetings",
        sa.Column("occurrence_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("association_id", sa.Integer(), _association(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("body_code", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("original_day", sa.Date(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
    )
    op.create_index(
        "ix_read_meetings_association_start", "read_meetings", ["association_id", "start"]
    )
    op.create_index("ix_read_meetings_association_end", "read_meetings", ["association_id", "end"])
    op.create_table(
        "read_meeting_files",
        sa.Column("occurrence_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("file_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("association_id", sa.Integer(), _association(), nullable=False),
    )
    op.create_index(
        "ix_read_meeting_files_file", "read_meeting_files", ["association_id", "file_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_read_meeting_files_file", table_name="read_meeting_files")
    op.drop_table("read_meeting_files")
    op.drop_index("ix_read_meetings_association_end", table_name="read_meetings")
    op.drop_index("ix_read_meetings_association_start", table_name="read_meetings")
    op.drop_table("read_meetings")
    op.drop_table("read_model_states")
