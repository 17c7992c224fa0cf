"""SQLAlchemy 2 tables of the filing records (the Alembic migrations mirror these)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from knowledge.schema import SchemaPart

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
VERSION_TABLE = "filings_alembic_version"  # each part of the database has its own (knowledge/schema.py)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Filing(Base):
    """One application (lost notice or medical validation)."""

    __tablename__ = "filings"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)  # LN20261122-7K3QX9 (older: LN20261122001)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    applicant: Mapped[str] = mapped_column(Text, index=True)
    contact_phone: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    fix_fields: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # fields a rejection asks to correct
    resubmission_of: Mapped[str | None] = mapped_column(String(24), nullable=True, index=True)  # the rejected filing


class Transition(Base):
    """Every change of state, with who and when; `item` is set for a validation item's decision."""

    __tablename__ = "filing_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), index=True)
    item: Mapped[str | None] = mapped_column(Text, nullable=True)
    from_status: Mapped[str] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")


class FilingItem(Base):
    """One item of a medical validation and its current state."""

    __tablename__ = "filing_items"

    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Notice(Base):
    """A published lost-license notice; never deleted."""

    __tablename__ = "filing_notices"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_filing_notices_year_seq"),)

    number: Mapped[str] = mapped_column(String(32), primary_key=True)  # XHA-YS-2026-0001
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    company_name: Mapped[str] = mapped_column(Text, index=True)
    uscc: Mapped[str] = mapped_column(String(64))
    license_type: Mapped[str] = mapped_column(String(200), index=True)
    license_number: Mapped[str] = mapped_column(String(200))
    lost_date: Mapped[date] = mapped_column(Date)
    published_on: Mapped[date] = mapped_column(Date, index=True)
    name_key: Mapped[str] = mapped_column(Text, default="")  # notice_search.name_key(company_name)
    license_key: Mapped[str] = mapped_column(String(200), default="")  # notice_search.license_key(license_number)


class Institution(Base):
    """A medical institution known from its validation applications (for expiry reminders)."""

    __tablename__ = "institutions"

    registration_number: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    license_valid_until: Mapped[date] = mapped_column(Date, index=True)
    contact_name: Mapped[str] = mapped_column(Text)
    contact_phone: Mapped[str] = mapped_column(String(64))
    last_filing_id: Mapped[str | None] = mapped_column(String(24), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReminderRow(Base):
    """The outbox: one reminder per institution and due date."""

    __tablename__ = "reminder_outbox"
    __table_args__ = (UniqueConstraint("registration_number", "due_date", name="uq_reminder_outbox_institution_due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    registration_number: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date] = mapped_column(Date)
    institution_name: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(Text)
    contact_phone: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LookupCounter(Base):
    """Failed status look-ups (reference + phone's last four) per filing and per client (actions/filings/lookups.py)."""

    __tablename__ = "filing_lookup_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # f:<filing id> | c:<client>
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


SCHEMA = SchemaPart("filings", Base.metadata, Path(__file__).resolve().parent / "migrations", VERSION_TABLE)
