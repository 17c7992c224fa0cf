"""Notices state which copy of the license was lost (正本 / 副本 / 正副本); older notices have none.

Revision ID: 0005_add_notice_lost_copy
Revises: 0004_registry_reminders_results
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_add_notice_lost_copy"
down_revision = "0004_registry_reminders_results"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("filing_notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lost_copy", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("filing_notices", schema=None) as batch_op:
        batch_op.drop_column("lost_copy")
