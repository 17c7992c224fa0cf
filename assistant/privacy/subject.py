"""Requests of a person about their own conversation (个人信息保护法 第四十五条、第四十七条): find it, export it
as JSON, delete it — with the handoff tickets left in it (留言, 呼叫导服) and what staff replied. Filings are not
touched (they are administrative records with their own retention).

A conversation is found by its sender id, by the number of a filing made in it (a filing's idempotency key
starts with the sender id), or by a phone number (the filing's contact phone, a ticket's call-back number, or the
phone in a conversation's state that has not been purged yet; turns hold phones only masked).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, or_, select
from sqlalchemy.exc import DBAPIError

from assistant.dialogue.db import conversations, turns
from assistant.dialogue.turns import TurnLog
from assistant.handoff.desk import HandoffDesk
from knowledge.clock import system_clock
from nlu import references

MAX_MATCHES = 50


@dataclass(frozen=True)
class Match:
    """A conversation found for a request."""

    sender_id: str
    via: str  # sender | filing | phone
    turns: int
    first_at: str | None
    last_at: str | None
    has_state: bool
    filings: tuple[str, ...]
    tickets: int = 0  # handoff tickets (留言, 呼叫导服)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["filings"] = list(self.filings)
        return out


def _filing_table() -> Any:
    try:
        from actions.filings.tables import Filing
    except ImportError:  # no filings in this build
        return None
    return Filing.__table__


def sender_of_key(idempotency_key: str) -> str:
    """The sender id in a filing's idempotency key ("<sender>:<form session>")."""
    return idempotency_key.rsplit(":", 1)[0] if ":" in idempotency_key else idempotency_key


def digits_of(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-11:] if len(digits) > 11 and digits.startswith("86") else digits


def _rows(db: Engine, stmt: Any) -> list[Any]:
    try:
        with db.connect() as conn:
            return list(conn.execute(stmt).all())
    except DBAPIError:  # a table that does not exist yet
        return []


def filings_of(db: Engine, sender_id: str) -> list[str]:
    """Numbers of the filings made in the sender's conversations."""
    filings = _filing_table()
    if filings is None:
        return []
    key = filings.c.idempotency_key
    return [r[0] for r in _rows(db, select(filings.c.id).where(or_(key == sender_id, key.startswith(f"{sender_id}:",
                                                                                                      autoescape=True)))
                                  .order_by(filings.c.id))]


def _summary(db: Engine, sender_id: str, via: str) -> Match | None:
    stats = _rows(db, select(func.count(), func.min(turns.c.created_at), func.max(turns.c.created_at))
                  .where(turns.c.sender_id == sender_id))
    n, first, last = stats[0] if stats else (0, None, None)
    has_state = bool(_rows(db, select(conversations.c.sender_id).where(conversations.c.sender_id == sender_id)))
    filings = tuple(filings_of(db, sender_id))
    tickets = len(_tickets(db, sender_id))
    if not n and not has_state and not filings and not tickets:
        return None
    return Match(sender_id, via, int(n or 0), _iso(first), _iso(last), has_state, filings, tickets)


def _tickets(db: Engine, sender_id: str) -> list[Any]:
    try:
        return list(HandoffDesk(db).for_sender(sender_id))
    except DBAPIError:  # no handoff tables yet
        return []


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat(timespec="seconds")


def find(db: Engine, sender: str = "", filing: str = "", phone: str = "") -> list[Match]:
    """Conversations matching any of the given keys (empty keys are ignored)."""
    candidates: dict[str, str] = {}
    if sender.strip():
        candidates[sender.strip()] = "sender"
    filings = _filing_table()
    if filing.strip() and filings is not None:
        reference = references.canonical(filing) or filing.strip().upper()  # as typed: any case, dash or not
        for (key,) in _rows(db, select(filings.c.idempotency_key).where(filings.c.id == reference)):
            candidates.setdefault(sender_of_key(key), "filing")
    digits = digits_of(phone)
    if len(digits) >= 7:
        if filings is not None:
            for (key,) in _rows(db, select(filings.c.idempotency_key).where(filings.c.contact_phone == digits)
                                .limit(MAX_MATCHES)):
                candidates.setdefault(sender_of_key(key), "phone")
        like = conversations.c.state.contains(digits, autoescape=True)
        for (sid,) in _rows(db, select(conversations.c.sender_id).where(like).limit(MAX_MATCHES)):
            candidates.setdefault(sid, "phone")
        try:
            for sid in HandoffDesk(db).senders_with_phone(digits, MAX_MATCHES):
                candidates.setdefault(sid, "phone")
        except DBAPIError:  # no handoff tables yet
            pass
    out = [m for sid, via in list(candidates.items())[:MAX_MATCHES] if (m := _summary(db, sid, via)) is not None]
    return out


def export(db: Engine, sender_id: str, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """Everything kept of the sender's conversation, JSON-safe; None when nothing is kept."""
    state_rows = _rows(db, select(conversations.c.state, conversations.c.updated_at).where(conversations.c.sender_id == sender_id))
    try:
        turn_list = [t.to_json() for t in TurnLog(db).for_sender(sender_id)]
    except DBAPIError:
        turn_list = []
    filings = filings_of(db, sender_id)
    try:
        tickets = HandoffDesk(db).export(sender_id)
    except DBAPIError:
        tickets = []
    if not state_rows and not turn_list and not filings and not tickets:
        return None
    conversation = None
    if state_rows:
        raw, updated = state_rows[0]
        try:
            state: Any = json.loads(raw)
        except ValueError:
            state = raw
        conversation = {"updated_at": _iso(updated), "state": state}
    return {
        "sender_id": sender_id,
        "exported_at": (now or system_clock()).isoformat(timespec="seconds"),
        "conversation": conversation,
        "turns": turn_list,
        "filings": filings,
        "handoff": tickets,
        "note": "对话中的手机号、身份证号、统一社会信用代码在对话记录中已脱敏保存；办件信息请向政务服务中心申请查阅。",
    }


def delete_conversation(db: Engine, sender_id: str) -> dict[str, int]:
    """Delete the sender's conversation state, turns and handoff tickets (with staff's replies); filings are kept.
    Counts of what went."""
    try:
        with db.begin() as conn:
            n_conv = int(conn.execute(delete(conversations).where(conversations.c.sender_id == sender_id)).rowcount or 0)
            n_turns = int(conn.execute(delete(turns).where(turns.c.sender_id == sender_id)).rowcount or 0)
    except DBAPIError:
        n_conv = n_turns = 0
    try:
        n_tickets = HandoffDesk(db).delete_sender(sender_id)["tickets"]
    except DBAPIError:
        n_tickets = 0
    return {"conversations": n_conv, "turns": n_turns, "tickets": n_tickets}
