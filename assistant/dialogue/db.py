"""The dialogue's tables (conversation state, turns) on the application's one SQLAlchemy URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url

from knowledge.schema import SchemaPart, upgrade

metadata = MetaData()

conversations = Table(
    "conversations",
    metadata,
    Column("sender_id", String(128), primary_key=True),
    Column("state", Text, nullable=False),  # DialogueState JSON
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

turns = Table(
    "turns",
    metadata,
    Column("turn_id", String(32), primary_key=True),
    Column("sender_id", String(128), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("user_text", Text, nullable=False),
    Column("normalized", Text, nullable=False, default=""),
    Column("intent", String(64)),
    Column("confidence", Float),
    Column("faq_id", String(200)),
    Column("faq_score", Float),
    Column("fallback", Boolean, nullable=False, default=False),
    Column("handoff", Boolean, nullable=False, default=False, index=True),  # marked for staff
    Column("messages", Text, nullable=False),  # bot messages, Rasa REST JSON
    Column("feedback", Integer),  # +1 / -1 from the user
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    # What the dialogue took the message for (runner.HANDLED_AS): staff's inbox and answer rate count questions,
    # never form answers. NULL for turns recorded before it was kept.
    Column("handled_as", String(16)),
)


def make_engine(db_url: str) -> Engine:
    """An engine for the URL; SQLite gets its folder created, WAL and a busy timeout."""
    url = make_url(db_url)
    kwargs: dict[str, Any] = {"future": True, "pool_pre_ping": True}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(db_url, **kwargs)
    if url.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            # WAL + NORMAL: a commit no longer waits for fsync (measured: the fsync of the two commits per turn
            # was the largest cost of a repeated question, docs/benchmarks.md). Committed turns survive a crash of
            # the process; only an OS crash or power cut may lose the last ones. Filings keep their own engine
            # (actions/filings) with SQLite's default FULL.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    return engine


SCHEMA = SchemaPart("dialogue", metadata, Path(__file__).resolve().parent / "migrations", "dialogue_alembic_version",
                    adopt=("conversations", "turns"))


def migrate(engine: Engine) -> None:
    """Create or upgrade the dialogue's tables (their Alembic revisions)."""
    upgrade(engine, [SCHEMA])
