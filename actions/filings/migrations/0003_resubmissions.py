"""Resubmissions (a rejected filing's fields to fix, a new filing's link to it) and the notices' search keys.

Revision ID: 0003_resubmissions
Revises: 0002_random_references
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_resubmissions"
down_revision = "0002_random_references"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("filings") as batch:
        batch.add_column(sa.Column("fix_fields", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("resubmission_of", sa.String(24), nullable=True))
        batch.create_index("ix_filings_resubmission_of", ["resubmission_of"])
    with op.batch_alter_table("filing_notices") as batch:
        batch.add_column(sa.Column("name_key", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("license_key", sa.String(200), nullable=False, server_default=""))
    _fill_search_keys()


def _fill_search_keys() -> None:
    """The keys of the notices published so far (the same functions as a publish uses)."""
    from actions.filings.notice_search import license_key, name_key

    notices = sa.table("filing_notices", sa.column("number", sa.String), sa.column("company_name", sa.Text),
                       sa.column("license_number", sa.String), sa.column("name_key", sa.Text),
                       sa.column("license_key", sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(notices.c.number, notices.c.company_name, notices.c.license_number)).all()
    for number, company_name, license_number in rows:
        conn.execute(notices.update().where(notices.c.number == number)
                     .values(name_key=name_key(company_name), license_key=license_key(license_number)))


def downgrade() -> None:
    with op.batch_alter_table("filing_notices") as batch:
        batch.drop_column("license_key")
        batch.drop_column("name_key")
    with op.batch_alter_table("filings") as batch:
        batch.drop_index("ix_filings_resubmission_of")
        batch.drop_column("resubmission_of")
        batch.drop_column("fix_fields")
