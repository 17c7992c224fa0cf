"""Validation expiry reminders as records: which institutions fall due, the outbox (one reminder per institution
and due date) and its deliveries (one per channel), claimed, sent and retried by actions/reminders.

Delivery states: pending → sending (claimed by one runner) → sent | retrying (attempts left, next_attempt_at set)
| failed (no attempts left, or refused for good); a reviewer's 重新发送 puts a failed one back to pending. Chat
deliveries stay pending until the institution identifies itself in the chat (then sent). Nothing is deleted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions.filings.dates import add_months
from actions.filings.institutions import covered
from actions.filings.tables import Institution, ReminderDelivery, ReminderRow, ReminderRun
from actions.filings.types import DeliveryView, Reminder
from knowledge.clock import beijing

PENDING, SENDING, SENT, RETRYING, FAILED = "pending", "sending", "sent", "retrying", "failed"
STATUS_LABELS = {PENDING: "待发送", SENDING: "发送中", SENT: "已送达", RETRYING: "发送失败，等待重试", FAILED: "发送失败"}
CHANNEL_LABELS = {"email": "电子邮件", "sms": "短信", "chat": "灵灵对话"}
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def message(name: str, due: dt.date) -> str:
    """The reminder text sent to the institution."""
    return (
        f"{name}：贵机构《医疗机构执业许可证》校验期将于{due.year}年{due.month}月{due.day}日届满，"
        "请尽早通过“灵灵”或西海岸新区政务服务中心窗口申请校验，逾期未校验将影响正常执业。"
    )


def address(inst: Institution, channel: str) -> str:
    """Where a channel reaches the institution ('' when it cannot: no e-mail, a landline for SMS)."""
    if channel == "email":
        return inst.email or ""
    if channel == "sms":
        phone = re.sub(r"\D", "", inst.contact_phone or "")
        return phone if _MOBILE.match(phone) else ""
    return inst.registration_number if channel == "chat" else ""


def due(session: Session, today: dt.date, months: int = 3) -> list[Reminder]:
    """Institutions falling due between today and today + `months` (inclusive), not covered by an application."""
    rows = session.scalars(
        select(Institution)
        .where(Institution.license_valid_until >= today, Institution.license_valid_until <= add_months(today, months))
        .order_by(Institution.license_valid_until, Institution.registration_number)
    )
    return [Reminder(r.registration_number, r.name, r.license_valid_until, r.contact_name, r.contact_phone,
                     message(r.name, r.license_valid_until)) for r in rows if not covered(session, r)]


def record(sessions: Callable[[], Session], today: dt.date, now: dt.datetime, channels: Sequence[str],
           months: int = 3) -> list[Reminder]:
    """Write each due reminder to the outbox once, with a pending delivery per channel that reaches the
    institution; each in its own transaction. Returns the reminders new in this run."""
    with sessions() as s:
        candidates = due(s, today, months)
    recorded: list[Reminder] = []
    for cand in candidates:
        with sessions() as s:
            try:
                with s.begin():
                    exists = s.scalar(select(ReminderRow.id).where(
                        ReminderRow.registration_number == cand.registration_number, ReminderRow.due_date == cand.due_date))
                    if exists is not None:
                        continue
                    row = ReminderRow(registration_number=cand.registration_number, due_date=cand.due_date,
                                      institution_name=cand.institution_name, contact_name=cand.contact_name,
                                      contact_phone=cand.contact_phone, message=cand.message, created_at=now)
                    s.add(row)
                    s.flush()
                    inst = s.get(Institution, cand.registration_number)
                    for channel in dict.fromkeys(channels):
                        to = address(inst, channel) if inst else ""
                        if to:
                            s.add(ReminderDelivery(reminder_id=row.id, channel=channel, address=to, status=PENDING,
                                                   attempts=0, next_attempt_at=now, last_error="", updated_at=now))
            except IntegrityError:
                continue  # recorded by a concurrent run
            recorded.append(Reminder(**{**cand.__dict__, "recorded_at": beijing(now)}))
    return recorded


def start_run(session: Session, day: dt.date, now: dt.datetime, worker: str) -> bool:
    """Mark the daily pass of `day` as started by `worker`; False when it already finished (or runs elsewhere,
    started less than `stale` ago is decided by the caller's lock)."""
    run = session.get(ReminderRun, day, with_for_update=True)
    if run is not None and run.finished_at is not None:
        return False
    if run is None:
        session.add(ReminderRun(day=day, started_at=now, worker=worker[:100], recorded=0))
    else:
        run.started_at, run.worker = now, worker[:100]
    session.flush()
    return True


def finish_run(session: Session, day: dt.date, now: dt.datetime, recorded: int) -> None:
    run = session.get(ReminderRun, day)
    if run is not None:
        run.finished_at, run.recorded = now, recorded


def _view(d: ReminderDelivery, r: ReminderRow) -> DeliveryView:
    def at(x: dt.datetime | None) -> dt.datetime | None:
        return beijing(x) if x is not None else None

    return DeliveryView(d.id, d.reminder_id, d.channel, d.address, d.status, d.attempts, at(d.next_attempt_at),
                        at(d.sent_at), d.last_error or "", beijing(d.updated_at), r.registration_number,
                        r.institution_name, r.due_date, r.message)


def claim(session: Session, now: dt.datetime, channels: Sequence[str], limit: int,
          stale: dt.timedelta) -> list[DeliveryView]:
    """Claim deliveries that are due (pending/retrying whose time has come, or left `sending` by a runner that died
    `stale` ago): each one moves to `sending` by a conditional UPDATE, so two runners never claim the same one."""
    d = ReminderDelivery
    ready = ((d.status.in_((PENDING, RETRYING))) & (d.next_attempt_at <= now)) | \
            ((d.status == SENDING) & (d.claimed_at <= now - stale))
    rows = session.execute(select(d, ReminderRow).join(ReminderRow, ReminderRow.id == d.reminder_id)
                           .where(d.channel.in_(list(channels)), ready).order_by(d.id).limit(limit)).all()
    claimed = []
    for delivery, reminder in rows:
        done = session.execute(update(d).where(d.id == delivery.id, ready)
                               .values(status=SENDING, claimed_at=now, updated_at=now)
                               .execution_options(synchronize_session=False))
        if done.rowcount == 1:  # type: ignore[attr-defined]
            session.refresh(delivery)
            claimed.append(_view(delivery, reminder))
    return claimed


def settle(session: Session, delivery_id: int, now: dt.datetime, error: str | None, permanent: bool,
           max_attempts: int, backoff: Callable[[int], dt.timedelta]) -> str:
    """Record a claimed delivery's attempt: sent (error None), retrying (with back-off) or failed. Its new status."""
    d = session.get(ReminderDelivery, delivery_id, with_for_update=True)
    if d is None:
        return FAILED
    d.attempts += 1
    d.updated_at, d.claimed_at = now, None
    if error is None:
        d.status, d.sent_at, d.next_attempt_at = SENT, now, None
    elif permanent or d.attempts >= max_attempts:
        d.status, d.last_error, d.next_attempt_at = FAILED, error[:1000], None
    else:
        d.status, d.last_error, d.next_attempt_at = RETRYING, error[:1000], now + backoff(d.attempts)
    return d.status


def retry(session: Session, delivery_id: int, now: dt.datetime) -> bool:
    """A reviewer sends a failed delivery again (back to pending, now); False when it is not failed."""
    d = session.get(ReminderDelivery, delivery_id, with_for_update=True)
    if d is None or d.status != FAILED:
        return False
    d.status, d.next_attempt_at, d.updated_at = PENDING, now, now
    return True


def chat_pending(session: Session, registration_number: str, now: dt.datetime) -> list[DeliveryView]:
    """The institution's chat reminders not yet told, marked sent (it has just identified itself in the chat)."""
    d = ReminderDelivery
    rows = session.execute(select(d, ReminderRow).join(ReminderRow, ReminderRow.id == d.reminder_id)
                           .where(d.channel == "chat", d.status == PENDING, d.address == registration_number)
                           .order_by(ReminderRow.due_date).with_for_update(of=d)).all()
    out = []
    for delivery, reminder in rows:
        delivery.status, delivery.sent_at, delivery.attempts, delivery.updated_at = SENT, now, delivery.attempts + 1, now
        delivery.next_attempt_at = None
        out.append(_view(delivery, reminder))
    return out


def deliveries(session: Session, status: str = "", limit: int = 200) -> list[DeliveryView]:
    """Deliveries for reviewers, newest first (optionally of one status)."""
    stmt = select(ReminderDelivery, ReminderRow).join(ReminderRow, ReminderRow.id == ReminderDelivery.reminder_id)
    if status:
        stmt = stmt.where(ReminderDelivery.status == status)
    rows = session.execute(stmt.order_by(ReminderDelivery.id.desc()).limit(limit)).all()
    return [_view(d, r) for d, r in rows]


def outbox(session: Session, limit: int = 100) -> list[Reminder]:
    """The recorded reminders, newest first."""
    rows = session.scalars(select(ReminderRow).order_by(ReminderRow.id.desc()).limit(limit))
    return [Reminder(r.registration_number, r.institution_name, r.due_date, r.contact_name, r.contact_phone,
                     r.message, beijing(r.created_at)) for r in rows]
