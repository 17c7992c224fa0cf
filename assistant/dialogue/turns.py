"""The `turns` log: every handled message with what was understood and answered (read by staff).

Personal data is masked at the source (个人信息保护法, data minimisation): mobile numbers, ID card numbers and
统一社会信用代码 in the user's text and in the bot's answers are stored masked (138****5678), and landlines in the
user's text (0532-****7766; the bot's answers give the hall's own numbers). The values the
applicant typed live on, unmasked, only in the conversation state (until the retention purge) and in the
filings, which need them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from sqlalchemy import Engine, delete, insert, or_, select, update

from assistant.dialogue.db import turns
from assistant.privacy.masking import mask_text, mask_value

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TurnRecord:
    """One handled user message."""

    turn_id: str
    sender_id: str
    channel: str
    user_text: str
    normalized: str
    intent: str | None
    confidence: float | None
    faq_id: str | None
    faq_score: float | None
    fallback: bool
    handoff: bool
    messages: list[dict[str, Any]]
    feedback: int | None
    created_at: dt.datetime
    handled_as: str | None = None  # runner.HANDLED_AS kinds; None for turns recorded before it was kept

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form (export)."""
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat()
        return out


class TurnLog:
    """Writes and reads the turns table."""

    def __init__(self, engine: Engine):
        self.engine = engine
        # Called with every recorded (masked) turn, e.g. by the metrics; a failing listener is logged, not raised.
        self.listeners: list[Callable[[TurnRecord], None]] = []

    def record(self, rec: TurnRecord) -> None:
        """Store one turn, its personal data masked."""
        rec = replace(rec, user_text=mask_text(rec.user_text, landlines=True),
                      normalized=mask_text(rec.normalized, landlines=True),
                      messages=mask_value(rec.messages))
        row = {f.name: getattr(rec, f.name) for f in fields(rec)}  # shallow: asdict deep-copied the messages
        row["messages"] = json.dumps(rec.messages, ensure_ascii=False)
        with self.engine.begin() as conn:
            conn.execute(insert(turns), row)  # parameters apart: compiled once, not per turn
        for listener in self.listeners:
            try:
                listener(rec)
            except Exception:  # noqa: BLE001 - observers never break a conversation
                log.exception("turn listener failed")

    def set_feedback(self, sender_id: str, turn_id: str, rating: int) -> bool:
        """Store +1/-1 on the sender's turn; False when no such turn."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(turns).where(turns.c.turn_id == turn_id, turns.c.sender_id == sender_id).values(feedback=rating)
            )
        return bool(done.rowcount)

    def for_sender(self, sender_id: str) -> list[TurnRecord]:
        """The sender's turns, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(turns).where(turns.c.sender_id == sender_id).order_by(turns.c.created_at, turns.c.turn_id)
            ).mappings().all()
        return [_record(r) for r in rows]

    def needing_review(self, limit: int = 100) -> list[TurnRecord]:
        """Unanswered, handed-off or down-voted turns, newest first (for staff)."""
        cond = or_(turns.c.fallback.is_(True), turns.c.handoff.is_(True), turns.c.feedback < 0)
        with self.engine.connect() as conn:
            rows = conn.execute(select(turns).where(cond).order_by(turns.c.created_at.desc()).limit(limit)).mappings().all()
        return [_record(r) for r in rows]

    def delete_sender(self, sender_id: str) -> int:
        """Wipe every turn of the sender (kiosk privacy); returns how many went."""
        with self.engine.begin() as conn:
            return int(conn.execute(delete(turns).where(turns.c.sender_id == sender_id)).rowcount or 0)


def _record(row: Any) -> TurnRecord:
    created = row["created_at"]
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    return TurnRecord(
        turn_id=row["turn_id"], sender_id=row["sender_id"], channel=row["channel"], user_text=row["user_text"],
        normalized=row["normalized"] or "", intent=row["intent"], confidence=row["confidence"], faq_id=row["faq_id"],
        faq_score=row["faq_score"], fallback=bool(row["fallback"]), handoff=bool(row["handoff"]),
        messages=json.loads(row["messages"] or "[]"), feedback=row["feedback"], created_at=created,
        handled_as=row.get("handled_as"),
    )
