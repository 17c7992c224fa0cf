"""The knowledge store: every item's YAML text as drafts, published and retired versions.

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


def upgrade() -> None:
    op.create_table(
        "kb_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.String(100), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("note", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "number", name="uq_kb_versions_item_number"),
    )
    op.create_index("ix_kb_versions_item_id", "kb_versions", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_kb_versions_item_id", "kb_versions")
    op.drop_table("kb_versions")
