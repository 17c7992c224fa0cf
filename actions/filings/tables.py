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
    lost_copy: Mapped[str | None] = mapped_column(String(16), nullable=True)  # 正本 / 副本 / 正副本 (LostCopy)
    name_key: Mapped[str] = mapped_column(Text, default="")  # notice_search.name_key(company_name)
    license_key: Mapped[str] = mapped_column(String(200), default="")  # notice_search.license_key(license_number)


class Institution(Base):
    """A medical institution of the district's registry: imported by staff from the district's list, kept
    current by its validation applications (the latest source wins); the reminders' and the due question's
    source."""

    __tablename__ = "institutions"

    registration_number: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    license_valid_until: Mapped[date] = mapped_column(Date, index=True)
    contact_name: Mapped[str] = mapped_column(Text)
    contact_phone: Mapped[str] = mapped_column(String(64))
    last_filing_id: Mapped[str | None] = mapped_column(String(24), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    address: Mapped[str] = mapped_column(Text, default="", server_default="")
    category: Mapped[str] = mapped_column(String(100), default="", server_default="")
    email: Mapped[str] = mapped_column(String(200), default="", server_default="")
    source: Mapped[str] = mapped_column(String(16), default="application", server_default="application")
    # wrong phone last-4 answers to the due question (attempt limit: institutions.py)
    lookup_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lookup_window_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class InstitutionImport(Base):
    """One upload of the district's institution list: previewed (rows and row errors), then committed or
    discarded by staff."""

    __tablename__ = "institution_imports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    filename: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(16))  # preview | committed | discarded
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # the valid rows, canonical values
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{row, field, value, message}]
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)  # counts (rows, new, updated, unchanged, errors)
    committed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    committed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


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


class ReminderDelivery(Base):
    """One reminder on one channel (email, sms, chat): its state, attempts and last error; never deleted."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (UniqueConstraint("reminder_id", "channel", name="uq_reminder_deliveries_reminder_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminder_outbox.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(200))  # e-mail address, phone number, or the 登记号 (chat)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending sending sent retrying failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReminderRun(Base):
    """The daily pass: one row per Beijing day (the first worker to insert it runs that day's pass)."""

    __tablename__ = "reminder_runs"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    worker: Mapped[str] = mapped_column(String(100))
    recorded: Mapped[int] = mapped_column(Integer, default=0)


class ValidationResult(Base):
    """A concluded validation's published result (一网公示): public, permanent; corrected only with a record."""

    __tablename__ = "validation_results"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_validation_results_year_seq"),)

    number: Mapped[str] = mapped_column(String(32), primary_key=True)  # XHA-JY-2026-0001
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    institution_name: Mapped[str] = mapped_column(Text, index=True)
    registration_number: Mapped[str] = mapped_column(String(200), index=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{name, outcome}]
    result: Mapped[str] = mapped_column(String(32))  # passed | not_passed
    concluded_on: Mapped[date] = mapped_column(Date, index=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revision: Mapped[int] = mapped_column(Integer, default=0)  # number of corrections


class ResultCorrection(Base):
    """A staff correction of a published result: what it said before and after, who, when and why."""

    __tablename__ = "validation_result_corrections"
    __table_args__ = (UniqueConstraint("number", "revision", name="uq_validation_result_corrections_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(ForeignKey("validation_results.number"), index=True)
    revision: Mapped[int] = mapped_column(Integer)  # 1 for the first correction
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)


class LookupCounter(Base):
    """Failed status look-ups (reference + phone's last four) per filing and per client (actions/filings/lookups.py)."""

    __tablename__ = "filing_lookup_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # f:<filing id> | c:<client>
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


SCHEMA = SchemaPart("filings", Base.metadata, Path(__file__).resolve().parent / "migrations", VERSION_TABLE)
