"""The handoff desk: tickets opened by the dialogue, answered and closed by staff, read by the chat doors.

Every change is written to the audit log (`AuditSink`, the staff console's); the applicant is told of every
change that concerns them by a row of `handoff_replies` (staff's words, or a status line), which the portal
polls (GET /api/chat/updates), the socket.io channel pushes and /api/history shows again after a reload.
Personal data: the question and the conversation so far are masked at the source; the call-back number is kept
as given (staff must call it) and goes with the ticket at the retention purge or a person's deletion request.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from actions.filings.dates import is_working_day
from assistant.handoff.model import (
    CALL_STAFF,
    CLAIMED,
    CLOSED,
    KIND_LABELS,
    MAX_REPLY_CHARS,
    OPEN,
    OUTCOMES,
    REPLY,
    STATUS,
    AuditSink,
    HandoffError,
    Line,
    Reply,
    Ticket,
)
from assistant.handoff.tables import replies, tickets
from assistant.privacy.masking import mask_text
from knowledge.clock import Clock, as_utc, system_clock
from knowledge.hours import HallStatus, WorkingDay, hall_status

APPLICANT = "applicant"  # the audit log's actor for what the applicant did
MAX_TRANSCRIPT = 40  # lines of the conversation kept with a ticket
MAX_LINE_CHARS = 500


class HandoffDesk:
    """Tickets and replies on the app's database (the `handoff` part, upgraded by the start-up)."""

    def __init__(self, engine: Engine, clock: Clock = system_clock, audit: AuditSink | None = None,
                 hall_hours: Callable[[], str | None] = lambda: None, working_day: WorkingDay = is_working_day):
        self.engine = engine
        self.clock = clock
        self.audit = audit
        self.hall_hours = hall_hours  # the service hall's hours text, read from the knowledge base in force
        self.working_day = working_day  # the holiday calendar: 法定节假日 closed, 调休 weekends open

    def _audit(self, actor: str, action: str, ticket: Ticket | int, before: Any = None, after: Any = None,
               ip: str = "") -> None:
        if self.audit is not None:
            target = f"#{ticket if isinstance(ticket, int) else ticket.id}"
            self.audit.record(actor, action, target, before, after, ip)

    def status(self, now: dt.datetime | None = None) -> HallStatus:
        """Is the hall open now (staff on duty), and when does it open next."""
        return hall_status(self.hall_hours(), now or self.clock(), self.working_day)

    # ---- the applicant's side ------------------------------------------------------------------
    def open(self, sender_id: str, kind: str, channel: str, kiosk_id: str = "", question: str = "",
             phone: str = "", transcript: Iterable[Line] = ()) -> tuple[Ticket, bool]:
        """A new ticket, or (call_staff) the one still open for this conversation; (ticket, created)."""
        if kind not in KIND_LABELS:
            raise HandoffError(f"unknown ticket kind {kind!r}", 422)
        if kind == CALL_STAFF:
            for ticket in self.for_sender(sender_id):
                if ticket.kind == CALL_STAFF and ticket.is_open:
                    return ticket, False
        now = self.clock()
        lines = [{"role": ln.role, "text": mask_text(ln.text)[:MAX_LINE_CHARS], "at": ln.at}
                 for ln in list(transcript)[-MAX_TRANSCRIPT:]]
        values = {
            "sender_id": sender_id, "kind": kind, "status": OPEN, "outcome": None, "channel": channel[:32],
            "kiosk_id": kiosk_id[:32], "question": mask_text(question)[:MAX_REPLY_CHARS],
            "callback_phone": phone[:32], "transcript": json.dumps(lines, ensure_ascii=False),
            "off_hours": self.status(now).open is False, "created_at": now, "updated_at": now,
            "claimed_by": "", "closed_by": "", "note": "",
        }
        with self.engine.begin() as conn:
            ticket_id = _new_id(conn.execute(insert(tickets).values(**values)))
        ticket = self.get(ticket_id)
        self._audit(APPLICANT, "handoff_open", ticket, None, ticket.summary())
        return ticket, True

    def updates(self, sender_id: str, since: int = 0, limit: int = 50) -> list[Reply]:
        """What the applicant has not seen yet: replies after `since` (a reply id), oldest first."""
        stmt = (select(replies).where(replies.c.sender_id == sender_id, replies.c.id > since)
                .order_by(replies.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [_reply(r) for r in conn.execute(stmt).mappings()]

    def waiting(self, sender_id: str) -> bool:
        """True while a ticket of this conversation is not closed (the page keeps polling)."""
        stmt = select(func.count()).select_from(tickets).where(tickets.c.sender_id == sender_id,
                                                               tickets.c.status != CLOSED)
        with self.engine.connect() as conn:
            return bool(conn.scalar(stmt))

    def replies_after(self, cursor: int, limit: int = 200) -> list[Reply]:
        """Every reply after `cursor`, oldest first (the socket.io channel pushes them)."""
        stmt = select(replies).where(replies.c.id > cursor).order_by(replies.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [_reply(r) for r in conn.execute(stmt).mappings()]

    def last_reply_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.max(replies.c.id))) or 0)

    # ---- the staff's side ----------------------------------------------------------------------
    def get(self, ticket_id: int) -> Ticket:
        """One ticket; HandoffError (404) when there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).mappings().first()
        if row is None:
            raise HandoffError(f"没有编号为 {ticket_id} 的人工服务记录（可能已超过保存期限被删除）。", 404)
        return _ticket(row)

    def queue(self) -> list[Ticket]:
        """Tickets not closed: the ones waiting first, then those being handled; oldest first within."""
        stmt = select(tickets).where(tickets.c.status != CLOSED).order_by(tickets.c.created_at, tickets.c.id)
        with self.engine.connect() as conn:
            found = [_ticket(r) for r in conn.execute(stmt).mappings()]
        return sorted(found, key=lambda t: (t.status != OPEN, t.created_at))

    def closed(self, limit: int = 30) -> list[Ticket]:
        """The latest closed tickets, newest first."""
        stmt = select(tickets).where(tickets.c.status == CLOSED).order_by(tickets.c.closed_at.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_ticket(r) for r in conn.execute(stmt).mappings()]

    def replies_of(self, ticket_id: int) -> list[Reply]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(replies).where(replies.c.ticket_id == ticket_id).order_by(replies.c.id))
            return [_reply(r) for r in rows.mappings()]

    def claim(self, ticket_id: int, actor: str, ip: str = "") -> Ticket:
        """`actor` handles the ticket from now on (also taking it over from a colleague)."""
        before = self._changeable(ticket_id)
        if before.status == CLAIMED and before.claimed_by == actor:
            return before
        now = self.clock()
        self._set(ticket_id, status=CLAIMED, claimed_by=actor[:64], claimed_at=now, updated_at=now)
        if before.status == OPEN:
            text = (f"导服人员已收到呼叫，正在前往{before.where}，请在原地稍候。" if before.kind == CALL_STAFF
                    else "工作人员已开始处理您的留言，答复会显示在这里，请留意。")
            self._add_reply(before, STATUS, actor, text, closes=False, now=now)
        after = self.get(ticket_id)
        self._audit(actor, "handoff_claim", after, before.summary(), after.summary(), ip)
        return after

    def reply(self, ticket_id: int, actor: str, text: str, ip: str = "") -> Reply:
        """Send `text` to the applicant's conversation (the ticket stays open; claimed by `actor` if it was not)."""
        body = _reply_text(text)
        before = self._changeable(ticket_id)
        now = self.clock()
        values: dict[str, Any] = {"updated_at": now}
        if before.status == OPEN:
            values.update(status=CLAIMED, claimed_by=actor[:64], claimed_at=now)
        self._set(ticket_id, **values)
        sent = self._add_reply(before, REPLY, actor, body, closes=False, now=now)
        self._audit(actor, "handoff_reply", before, before.summary(), {"reply": mask_text(body)}, ip)
        return sent

    def close(self, ticket_id: int, actor: str, outcome: str, message: str = "", note: str = "",
              ip: str = "") -> Ticket:
        """End the ticket with an outcome; the applicant is told (`message`, or the outcome's own sentence)."""
        if outcome not in OUTCOMES:
            raise HandoffError("请选择处理结果。", 422)
        body = _reply_text(message) if message.strip() else ""
        before = self._changeable(ticket_id)
        now = self.clock()
        self._set(ticket_id, status=CLOSED, outcome=outcome, closed_by=actor[:64], closed_at=now, updated_at=now,
                  note=note.strip()[:500], claimed_by=before.claimed_by or actor[:64],
                  claimed_at=before.claimed_at or now)
        if body:
            self._add_reply(before, REPLY, actor, body, closes=True, now=now)
        else:
            self._add_reply(before, STATUS, actor, OUTCOMES[outcome][1], closes=True, now=now)
        after = self.get(ticket_id)
        changes = {**after.summary(), "note": mask_text(after.note), "reply": mask_text(body)}
        self._audit(actor, "handoff_close", after, before.summary(), changes, ip)
        return after

    def _changeable(self, ticket_id: int) -> Ticket:
        ticket = self.get(ticket_id)
        if ticket.status == CLOSED:
            raise HandoffError(f"{ticket.number} 已结束（{ticket.outcome_label}），不能再更改。", 409)
        return ticket

    def _set(self, ticket_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(**values))

    def _add_reply(self, ticket: Ticket, kind: str, author: str, text: str, closes: bool, now: dt.datetime) -> Reply:
        row = {"ticket_id": ticket.id, "sender_id": ticket.sender_id, "kind": kind, "author": author[:64],
               "text": text, "closes": closes, "created_at": now}
        with self.engine.begin() as conn:
            reply_id = _new_id(conn.execute(insert(replies).values(**row)))
        return Reply(reply_id, ticket.id, ticket.sender_id, kind, author[:64], text, now, closes)

    # ---- personal data -------------------------------------------------------------------------
    def for_sender(self, sender_id: str) -> list[Ticket]:
        stmt = select(tickets).where(tickets.c.sender_id == sender_id).order_by(tickets.c.id)
        with self.engine.connect() as conn:
            return [_ticket(r) for r in conn.execute(stmt).mappings()]

    def export(self, sender_id: str) -> list[dict[str, Any]]:
        """The sender's tickets with everything kept of them (their own call-back number unmasked)."""
        out = []
        for t in self.for_sender(sender_id):
            out.append({
                "number": t.number, "kind": t.kind_label, "status": t.status_label, "outcome": t.outcome_label,
                "where": t.where, "question": t.question, "callback_phone": t.callback_phone,
                "created_at": t.created_at.isoformat(timespec="seconds"),
                "closed_at": t.closed_at.isoformat(timespec="seconds") if t.closed_at else None,
                "transcript": [{"role": ln.role, "text": ln.text, "at": ln.at} for ln in t.transcript],
                "replies": [{"text": r.text, "at": r.created_at.isoformat(timespec="seconds")}
                            for r in self.replies_of(t.id)],
            })
        return out

    def senders_with_phone(self, digits: str, limit: int = 50) -> list[str]:
        """Conversations that left this call-back number (compared by its digits: 0532-12345678 has a dash)."""
        if len(digits) < 7:
            return []
        stmt = select(tickets.c.sender_id, tickets.c.callback_phone).where(
            tickets.c.callback_phone.contains(digits[-4:], autoescape=True))
        with self.engine.connect() as conn:
            found = [sid for sid, phone in conn.execute(stmt) if re.sub(r"\D", "", phone) == digits]
        return list(dict.fromkeys(found))[:limit]

    def delete_sender(self, sender_id: str) -> dict[str, int]:
        """Delete the sender's tickets and replies (a person's deletion request); counts."""
        with self.engine.begin() as conn:
            n_replies = int(conn.execute(delete(replies).where(replies.c.sender_id == sender_id)).rowcount or 0)
            n_tickets = int(conn.execute(delete(tickets).where(tickets.c.sender_id == sender_id)).rowcount or 0)
        return {"tickets": n_tickets, "replies": n_replies}


def purge_tickets(db: Engine, cutoff: dt.datetime, dry_run: bool = False) -> int:
    """Tickets (and their replies) not changed since `cutoff` are deleted; how many (would) go."""
    old = tickets.c.updated_at < cutoff
    if dry_run:
        with db.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(tickets).where(old)) or 0)
    with db.begin() as conn:
        ids = [r[0] for r in conn.execute(select(tickets.c.id).where(old))]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            conn.execute(delete(replies).where(replies.c.ticket_id.in_(chunk)))
            conn.execute(delete(tickets).where(tickets.c.id.in_(chunk)))
    return len(ids)


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _reply_text(text: str) -> str:
    body = text.strip()
    if not body:
        raise HandoffError("请填写要回复的内容。", 422)
    if len(body) > MAX_REPLY_CHARS:
        raise HandoffError(f"回复最多 {MAX_REPLY_CHARS} 个字，请精简后再发送。", 422)
    return body


def _ticket(row: Any) -> Ticket:
    try:
        raw = json.loads(row["transcript"] or "[]")
    except ValueError:
        raw = []
    lines = tuple(Line(str(x.get("role", "")), str(x.get("text", "")), str(x.get("at", "")))
                  for x in raw if isinstance(x, dict))
    return Ticket(
        id=int(row["id"]), sender_id=row["sender_id"], kind=row["kind"], status=row["status"], outcome=row["outcome"],
        channel=row["channel"] or "", kiosk_id=row["kiosk_id"] or "", question=row["question"] or "",
        callback_phone=row["callback_phone"] or "", transcript=lines, off_hours=bool(row["off_hours"]),
        created_at=as_utc(row["created_at"]), updated_at=as_utc(row["updated_at"]), claimed_by=row["claimed_by"] or "",
        claimed_at=as_utc(row["claimed_at"]) if row["claimed_at"] else None, closed_by=row["closed_by"] or "",
        closed_at=as_utc(row["closed_at"]) if row["closed_at"] else None, note=row["note"] or "",
    )


def _reply(row: Any) -> Reply:
    return Reply(int(row["id"]), int(row["ticket_id"]), row["sender_id"], row["kind"], row["author"] or "",
                 row["text"], as_utc(row["created_at"]), bool(row["closes"]))

