"""Filings, transitions, validation items, notices, institutions, reminder outbox.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-22
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
        "filings",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("applicant", sa.Text(), nullable=False),
        sa.Column("contact_phone", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("submitted_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_filings"),
        sa.UniqueConstraint("idempotency_key", name="uq_filings_idempotency_key"),
    )
    op.create_index("ix_filings_kind", "filings", ["kind"])
    op.create_index("ix_filings_status", "filings", ["status"])
    op.create_index("ix_filings_applicant", "filings", ["applicant"])

    op.create_table(
        "filing_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("filing_id", sa.String(16), nullable=False),
        sa.Column("item", sa.Text(), nullable=True),
        sa.Column("from_status", sa.String(32), nullable=False),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["filing_id"], ["filings.id"], name="fk_filing_transitions_filing_id_filings"),
        sa.PrimaryKeyConstraint("id", name="pk_filing_transitions"),
    )
    op.create_index("ix_filing_transitions_filing_id", "filing_transitions", ["filing_id"])

    op.create_table(
        "filing_items",
        sa.Column("filing_id", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["filing_id"], ["filings.id"], name="fk_filing_items_filing_id_filings"),
        sa.PrimaryKeyConstraint("filing_id", "name", name="pk_filing_items"),
    )

    op.create_table(
        "filing_notices",
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("filing_id", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("company_name", sa.Text(), nullable=False),
        sa.Column("uscc", sa.String(64), nullable=False),
        sa.Column("license_type", sa.String(200), nullable=False),
        sa.Column("license_number", sa.String(200), nullable=False),
        sa.Column("lost_date", sa.Date(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["filing_id"], ["filings.id"], name="fk_filing_notices_filing_id_filings"),
        sa.PrimaryKeyConstraint("number", name="pk_filing_notices"),
        sa.UniqueConstraint("filing_id", name="uq_filing_notices_filing_id"),
        sa.UniqueConstraint("year", "seq", name="uq_filing_notices_year_seq"),
    )
    op.create_index("ix_filing_notices_company_name", "filing_notices", ["company_name"])
    op.create_index("ix_filing_notices_license_type", "filing_notices", ["license_type"])
    op.create_index("ix_filing_notices_published_on", "filing_notices", ["published_on"])

    op.create_table(
        "institutions",
        sa.Column("registration_number", sa.String(200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("license_valid_until", sa.Date(), nullable=False),
        sa.Column("contact_name", sa.Text(), nullable=False),
        sa.Column("contact_phone", sa.String(64), nullable=False),
        sa.Column("last_filing_id", sa.String(16), nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("registration_number", name="pk_institutions"),
    )
    op.create_index("ix_institutions_license_valid_until", "institutions", ["license_valid_until"])

    op.create_table(
        "reminder_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("registration_number", sa.String(200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("institution_name", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.Text(), nullable=False),
        sa.Column("contact_phone", sa.String(64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reminder_outbox"),
        sa.UniqueConstraint("registration_number", "due_date", name="uq_reminder_outbox_institution_due"),
    )


def downgrade() -> None:
    for table in ("reminder_outbox", "institutions", "filing_notices", "filing_items", "filing_transitions", "filings"):
        op.drop_table(table)
