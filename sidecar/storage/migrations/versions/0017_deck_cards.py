"""Deck cards of minutes actions: board, stack and card ids, done state, last Deck error

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("minutes_actions") as batch:
        batch.add_column(sa.Column("deck_board_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("deck_stack_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("deck_card_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("deck_done_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deck_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("minutes_actions") as batch:
        for name in (
            "deck_error",
            "deck_done_at",
            "deck_card_id",
            "deck_stack_id",
            "deck_board_id",
        ):
            batch.drop_column(name)
