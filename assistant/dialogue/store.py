"""Where conversation state lives between messages: the StateStore protocol and its SQL implementation."""

from __future__ import annotations

import logging
from typing import Protocol

from pydantic import ValidationError
from sqlalchemy import Engine, bindparam, delete, insert, select, update

from assistant.dialogue.db import conversations
from assistant.dialogue.state import DialogueState
from knowledge.clock import Clock, system_clock

log = logging.getLogger(__name__)
# Built once: a statement with bound parameters is compiled once and reused (SQLAlchemy's compiled cache);
# `.values(...)` with the row's values rebuilt and re-keyed the statement on every message.
_LOAD = select(conversations.c.state).where(conversations.c.sender_id == bindparam("b_sid"))
_UPDATE = (update(conversations).where(conversations.c.sender_id == bindparam("b_sid"))
           .values(state=bindparam("b_state"), updated_at=bindparam("b_ts")))
_INSERT = insert(conversations)


class StateStore(Protocol):
    """Loads and saves one sender's DialogueState."""

    def load(self, sender_id: str) -> DialogueState | None: ...

    def save(self, state: DialogueState) -> None: ...

    def delete(self, sender_id: str) -> None: ...


class SqlStateStore:
    """DialogueState as JSON in the `conversations` table (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, clock: Clock = system_clock):
        self.engine = engine
        self.clock = clock

    def load(self, sender_id: str) -> DialogueState | None:
        with self.engine.connect() as conn:
            raw = conn.scalar(_LOAD, {"b_sid": sender_id})
        return _parse(sender_id, raw)

    def save(self, state: DialogueState) -> None:
        raw = state.model_dump_json()
        now = self.clock()
        with self.engine.begin() as conn:
            done = conn.execute(_UPDATE, {"b_sid": state.sender_id, "b_state": raw, "b_ts": now})
            if not done.rowcount:
                conn.execute(_INSERT, {"sender_id": state.sender_id, "state": raw, "updated_at": now})

    def delete(self, sender_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(conversations).where(conversations.c.sender_id == sender_id))


def _parse(sender_id: str, raw: str | None) -> DialogueState | None:
    """A stored state; an unreadable one (e.g. from an older version) starts a fresh session."""
    if not raw:
        return None
    try:
        return DialogueState.model_validate_json(raw)
    except ValidationError:
        log.warning("unreadable conversation state of %s; starting afresh", sender_id)
        return None
