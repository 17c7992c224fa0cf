"""The staff console's tables (users, sessions, login attempts, audit log, inbox marks) on the app's database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Boolean, Column, DateTime, Engine, Index, Integer, MetaData, String, Table, Text

from knowledge.schema import SchemaPart, upgrade

metadata = MetaData()

staff_users = Table(
    "staff_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(64), nullable=False, default=""),
    Column("role", String(16), nullable=False),  # editor | reviewer | agent | admin
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("sid", String(64), primary_key=True),  # random; the cookie carries it, signed
    Column("user_id", Integer, nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("ip", String(64), nullable=False, default=""),
)

staff_login_attempts = Table(
    "staff_login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_staff_login_attempts_username_at", "username", "at"),
    Index("ix_staff_login_attempts_ip_at", "ip", "at"),
)

staff_login_counters = Table(  # assistant/staff/lockout.py: the counts that decide a lock-out
    "staff_login_counters",
    metadata,
    Column("key", String(200), primary_key=True),  # c:<client> | uc:<username>|<client> | u:<username>
    Column("failures", Integer, nullable=False, default=0),
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
)

staff_audit = Table(
    "staff_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", String(64), nullable=False, index=True),
    Column("action", String(64), nullable=False, index=True),
    Column("target", String(200), nullable=False, default=""),
    Column("before", Text),  # JSON
    Column("after", Text),  # JSON
    Column("ip", String(64), nullable=False, default=""),
)

inbox_marks = Table(
    "staff_inbox_marks",
    metadata,
    Column("turn_id", String(32), primary_key=True),
    Column("action", String(16), nullable=False),  # dismissed | variant | new_faq
    Column("actor", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("note", String(200), nullable=False, default=""),
)

test_questions = Table(
    "staff_test_questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", String(500), nullable=False, unique=True),
    Column("expected_faq_id", String(200)),  # the FAQ that should answer it; None = just watch it
    Column("author", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

inbox_dismissed_texts = Table(
    "staff_inbox_dismissed_texts",
    metadata,
    Column("normalized", String(500), primary_key=True),  # a dismissed question stays dismissed when asked again
    Column("actor", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


SCHEMA = SchemaPart("staff", metadata, Path(__file__).resolve().parent / "migrations", "staff_alembic_version",
                    adopt=("staff_users", "staff_sessions", "staff_login_attempts", "staff_audit", "staff_inbox_marks",
                           "staff_test_questions", "staff_inbox_dismissed_texts"))


def migrate(engine: Engine) -> None:
    """Create or upgrade the console's tables (their Alembic revisions)."""
    upgrade(engine, [SCHEMA])

