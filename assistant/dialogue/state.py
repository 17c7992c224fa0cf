"""Per-sender conversation state: Rasa-style events and slots, the active form and our own counters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

MAX_EVENTS = 80  # older events are dropped; forms only read the tail
CARD_KEYS = frozenset({"type", "service_id", "faq_id", "filing_id", "kind", "status", "form", "slot", "number"})


def utc_ts(moment: dt.datetime) -> float:
    """A Rasa event timestamp."""
    return moment.timestamp()


class DialogueState(BaseModel):
    """Everything remembered about one sender's current session (a Rasa tracker plus counters)."""

    sender_id: str
    session_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    started_at: dt.datetime
    last_active: dt.datetime
    slots: dict[str, Any] = Field(default_factory=dict)
    events: list[dict[str, Any]] = Field(default_factory=list)
    active_form: str | None = None  # the form being filled (Rasa's active_loop)
    confirming: str | None = None  # a completed form waiting for 确认提交
    last_submit: str | None = None  # the form whose submit ran last (a retried confirm re-runs it)
    fallback_count: int = 0  # consecutive messages not understood
    handoff: bool = False  # the user asked for staff in this session
    focus_service: str | None = None  # the topic in focus: the service the latest answer was about
    focus_faq: str | None = None  # ... and its FAQ (assistant/dialogue/topic.py)
    focus_at: dt.datetime | None = None  # when it was set; a long pause lets it go
    latest_message: dict[str, Any] = Field(default_factory=dict)
    latest_action_name: str | None = None
    latest_channel: str = "rest"
    continued_elsewhere: bool = False  # a phone took the conversation over from a kiosk (scanned its QR code)

    @classmethod
    def new(cls, sender_id: str, now: dt.datetime) -> DialogueState:
        """A fresh session, starting as Rasa's do."""
        state = cls(sender_id=sender_id, started_at=now, last_active=now)
        ts = utc_ts(now)
        state.events = [
            {"event": "action", "timestamp": ts, "name": "action_session_start"},
            {"event": "session_started", "timestamp": ts},
            {"event": "action", "timestamp": ts, "name": "action_listen"},
        ]
        state.latest_action_name = "action_listen"
        return state

    # ---- events -----------------------------------------------------------------------------
    def add(self, event: dict[str, Any]) -> None:
        """Append one event (and forget the oldest beyond MAX_EVENTS)."""
        self.events.append(event)
        if len(self.events) > MAX_EVENTS:
            del self.events[: len(self.events) - MAX_EVENTS]

    def set_slot(self, name: str, value: Any, now: dt.datetime) -> None:
        """Set a slot, recording a Rasa `slot` event."""
        self.slots[name] = value
        self.add({"event": "slot", "timestamp": utc_ts(now), "name": name, "value": value})

    def set_form(self, name: str | None, now: dt.datetime) -> None:
        """Activate or deactivate a form (Rasa `active_loop` event); requested_slot is cleared on exit."""
        self.active_form = name
        self.add({"event": "active_loop", "timestamp": utc_ts(now), "name": name})
        if name is None:
            self.slots["requested_slot"] = None

    @property
    def requested_slot(self) -> str | None:
        """The slot the active form asked for."""
        value = self.slots.get("requested_slot")
        return str(value) if value else None

    def action(self, name: str, now: dt.datetime) -> None:
        """Record that an action ran."""
        self.latest_action_name = name
        self.add({"event": "action", "timestamp": utc_ts(now), "name": name})

    def user(self, text: str, parse_data: dict[str, Any], channel: str, now: dt.datetime,
             metadata: dict[str, Any] | None = None) -> None:
        """Record the user's message (the event keeps a slim parse; latest_message the whole one)."""
        self.latest_message = {**parse_data, "text": text, "metadata": metadata or {}}
        self.latest_channel = channel
        slim = {k: parse_data[k] for k in ("intent", "entities", "text", "message_id") if k in parse_data}
        self.add({"event": "user", "timestamp": utc_ts(now), "text": text, "parse_data": slim,
                  "input_channel": channel, "metadata": metadata or {}})

    def bot(self, text: str | None, data: dict[str, Any], now: dt.datetime) -> None:
        """Record one bot message. A card (`custom`) is kept as its type and ids only: the whole card is in the
        turn log, and the state is read and rewritten on every message (full cards made it ~5x larger)."""
        custom = data.get("custom")
        if isinstance(custom, dict):
            data = {**data, "custom": {k: v for k, v in custom.items() if k in CARD_KEYS}}
        self.add({"event": "bot", "timestamp": utc_ts(now), "text": text, "data": data})

    # ---- Rasa wire --------------------------------------------------------------------------
    def to_tracker(self) -> dict[str, Any]:
        """The Rasa tracker JSON an action server receives."""
        return {
            "sender_id": self.sender_id,
            "slots": dict(self.slots),
            "latest_message": dict(self.latest_message),
            "events": list(self.events),
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": self.active_form} if self.active_form else {},
            "latest_action_name": self.latest_action_name,
            "latest_action": {"action_name": self.latest_action_name},
            "latest_event_time": self.events[-1].get("timestamp") if self.events else None,
            "latest_input_channel": self.latest_channel,
        }
