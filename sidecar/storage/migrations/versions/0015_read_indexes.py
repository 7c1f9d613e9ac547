"""indexes for the documents page: files by modification time and by first sight

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_files_mtime", "files", ["mtime", "path"])
    op.create_index("ix_files_first_seen", "files", ["first_seen"])


def downgrade() -> None:
    op.drop_index("ix_files_first_seen", table_name="files")
    op.drop_index("ix_files_mtime", table_name="files")
