"""The dialogue: conversation state per sender and the turn log.

Revision ID: 0001_initial
Revises: (none; a database made by create_all before this revision is stamped at it)
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("sender_id"),
    )
    op.create_table(
        "turns",
        sa.Column("turn_id", sa.String(32), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_text", sa.Text(), nullable=False),
        sa.Column("normalized", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("faq_id", sa.String(200), nullable=True),
        sa.Column("faq_score", sa.Float(), nullable=True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("handoff", sa.Boolean(), nullable=False),
        sa.Column("messages", sa.Text(), nullable=False),
        sa.Column("feedback", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("turn_id"),
    )
    op.create_index("ix_turns_sender_id", "turns", ["sender_id"])
    op.create_index("ix_turns_handoff", "turns", ["handoff"])
    op.create_index("ix_turns_created_at", "turns", ["created_at"])


def downgrade() -> None:
    op.drop_table("turns")
    op.drop_table("conversations")
