"""Human help: handoff tickets and the replies staff send to the applicant.

Revision ID: 0001_add_handoff_tickets
Revises: (none)
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_add_handoff_tickets"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "handoff_tickets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("kiosk_id", sa.String(32), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("callback_phone", sa.String(32), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=False),
        sa.Column("off_hours", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("claimed_at", TZ, nullable=True),
        sa.Column("closed_by", sa.String(64), nullable=False),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("sender_id", "status", "created_at", "updated_at"):
        op.create_index(f"ix_handoff_tickets_{column}", "handoff_tickets", [column])
    op.create_table(
        "handoff_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("closes", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handoff_replies_ticket_id", "handoff_replies", ["ticket_id"])
    op.create_index("ix_handoff_replies_sender_id_id", "handoff_replies", ["sender_id", "id"])


def downgrade() -> None:
    op.drop_table("handoff_replies")
    op.drop_table("handoff_tickets")
