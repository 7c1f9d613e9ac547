"""cached sharing audit: share count, expiry days and partial problems of the last audit

Revision ID: 0008_share_audit_notes
Revises: 0007_share_audit
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_share_audit_notes"
down_revision = "0007_share_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("share_audits") as batch:
        batch.add_column(sa.Column("share_count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("expires", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("notes", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("share_audits") as batch:
        batch.drop_column("notes")
        batch.drop_column("expires")
        batch.drop_column("share_count")
