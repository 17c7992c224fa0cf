"""The tables of human help (handoff tickets and what staff told the applicant) on the app's database: the
`handoff` part of the schema, with its own Alembic revisions (migrations/) and version table."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text

from knowledge.schema import SchemaPart

metadata = MetaData()

tickets = Table(
    "handoff_tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sender_id", String(128), nullable=False, index=True),  # the conversation it came from
    Column("kind", String(16), nullable=False),  # message (留言) | call_staff (呼叫导服)
    Column("status", String(16), nullable=False, index=True),  # open | claimed | closed
    Column("outcome", String(16)),  # when closed: answered | called_back | visited | no_answer | invalid
    Column("channel", String(32), nullable=False, default=""),  # web | kiosk | socketio | rest
    Column("kiosk_id", String(32), nullable=False, default=""),  # the kiosk asking for a staff member
    Column("question", Text, nullable=False, default=""),  # personal data masked at the source
    Column("callback_phone", String(32), nullable=False, default=""),  # the only unmasked personal data: to call back
    Column("transcript", Text, nullable=False, default="[]"),  # JSON: the conversation so far, masked
    Column("off_hours", Boolean, nullable=False, default=False),  # left outside the hall's opening hours
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, index=True),  # retention counts from here
    Column("claimed_by", String(64), nullable=False, default=""),
    Column("claimed_at", DateTime(timezone=True)),
    Column("closed_by", String(64), nullable=False, default=""),
    Column("closed_at", DateTime(timezone=True)),
    Column("note", String(500), nullable=False, default=""),  # staff's own note on closing (not shown to the user)
)

replies = Table(
    "handoff_replies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # the cursor of GET /api/chat/updates
    Column("ticket_id", Integer, nullable=False, index=True),
    Column("sender_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),  # reply (staff's words) | status (claimed, closed)
    Column("author", String(64), nullable=False, default=""),  # the staff member (never shown to the applicant)
    Column("text", Text, nullable=False),
    Column("closes", Boolean, nullable=False, default=False),  # this reply ended the ticket
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_handoff_replies_sender_id_id", "sender_id", "id"),
)

SCHEMA = SchemaPart("handoff", metadata, Path(__file__).resolve().parent / "migrations", "handoff_alembic_version")
