"""Random filing references (LN20250618-7K3QX9: 17 characters, the id columns widen to 24) and the counters of
failed status look-ups (actions/filings/lookups.py).

Revision ID: 0002_random_references
Revises: 0001_initial
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_random_references"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

# (table, column, nullable): the filing id and every column holding one; children before the parent.
ID_COLUMNS = (("filing_items", "filing_id", False), ("filing_notices", "filing_id", False),
              ("filing_transitions", "filing_id", False), ("filings", "id", False),
              ("institutions", "last_filing_id", True))


def upgrade() -> None:
    op.create_table(
        "filing_lookup_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_filing_lookup_counters")),
    )
    for table, column, nullable in ID_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.VARCHAR(length=16), type_=sa.String(length=24),
                                  existing_nullable=nullable)


def downgrade() -> None:
    for table, column, nullable in reversed(ID_COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=24), type_=sa.VARCHAR(length=16),
                                  existing_nullable=nullable)
    op.drop_table("filing_lookup_counters")
