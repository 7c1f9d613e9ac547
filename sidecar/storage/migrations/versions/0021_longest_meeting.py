"""read_model_states.longest_meeting: how long the longest stored meeting lasts

A window of meetings still to end reads the starts from that long before its moment, not
every meeting of the past (issue 14). Unknown (NULL) until the read models are built again,
which their new format (sidecar.storage.read_models.FORMAT) asks for at the next sync or read.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("read_model_states", sa.Column("longest_meeting", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("read_model_states") as batch:
        batch.drop_column("longest_meeting")
