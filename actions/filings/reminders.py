"""Validation expiry reminders: which institutions fall due, and the outbox that records each once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions.filings.dates import add_months
from actions.filings.tables import Institution, ReminderRow
from actions.filings.types import Notifier, Reminder, ValidationData
from knowledge.clock import beijing

log = logging.getLogger(__name__)


class LogNotifier:
    """The default notifier: the outbox row is the record; this only logs it for staff."""

    def notify(self, reminder: Reminder) -> None:
        log.info("validation reminder: %s (%s) due %s, contact %s",
                 reminder.institution_name, reminder.registration_number, reminder.due_date, reminder.contact_phone)


def upsert_institution(session: Session, data: ValidationData, filing_id: str, now: datetime) -> None:
    """Insert or refresh the institution of a validation application (latest application wins)."""
    inst = session.get(Institution, data.registration_number.strip(), with_for_update=True)
    if inst is None:
        inst = Institution(registration_number=data.registration_number.strip())
        session.add(inst)
    inst.name = data.institution_name
    inst.license_valid_until = data.license_valid_until
    inst.contact_name = data.contact_name
    inst.contact_phone = data.contact_phone
    inst.last_filing_id = filing_id
    inst.updated_at = now


def message(name: str, due: date) -> str:
    """The reminder text sent to the institution."""
    return (
        f"{name}：贵机构《医疗机构执业许可证》校验期将于{due.year}年{due.month}月{due.day}日届满，"
        "请尽早通过“灵灵”或西海岸新区政务服务中心窗口申请校验，逾期未校验将影响正常执业。"
    )


def due(session: Session, today: date, months: int = 3) -> list[Reminder]:
    """Institutions whose validation falls due between today and today + `months` (inclusive)."""
    until = add_months(today, months)
    rows = session.scalars(
        select(Institution)
        .where(Institution.license_valid_until >= today, Institution.license_valid_until <= until)
        .order_by(Institution.license_valid_until, Institution.registration_number)
    )
    return [
        Reminder(r.registration_number, r.name, r.license_valid_until, r.contact_name, r.contact_phone,
                 message(r.name, r.license_valid_until))
        for r in rows
    ]


def record(
    sessions: Callable[[], Session], today: date, now: datetime, notifier: Notifier | None = None, months: int = 3
) -> list[Reminder]:
    """Write each due reminder to the outbox once (unique per institution and due date) and notify it.

    Each reminder commits in its own transaction after the notifier returned; a notifier error rolls
    that reminder back so the next run tries again. Returns the reminders recorded by this run.
    """
    target: Notifier = notifier or LogNotifier()
    with sessions() as s:
        candidates = due(s, today, months)
    recorded: list[Reminder] = []
    for cand in candidates:
        with sessions() as s:
            try:
                with s.begin():
                    exists = s.scalar(
                        select(ReminderRow.id).where(
                            ReminderRow.registration_number == cand.registration_number,
                            ReminderRow.due_date == cand.due_date,
                        )
                    )
                    if exists is not None:
                        continue
                    s.add(ReminderRow(registration_number=cand.registration_number, due_date=cand.due_date,
                                      institution_name=cand.institution_name, contact_name=cand.contact_name,
                                      contact_phone=cand.contact_phone, message=cand.message, created_at=now))
                    s.flush()
                    done = Reminder(**{**cand.__dict__, "recorded_at": beijing(now)})
                    target.notify(done)
            except IntegrityError:
                continue  # recorded by a concurrent run
            except Exception:
                log.exception("notifier failed for %s; it will be retried next run", cand.registration_number)
                continue
            recorded.append(done)
    return recorded


def outbox(session: Session, limit: int = 100) -> list[Reminder]:
    """The recorded reminders, newest first."""
    rows = session.scalars(select(ReminderRow).order_by(ReminderRow.id.desc()).limit(limit))
    return [
        Reminder(r.registration_number, r.institution_name, r.due_date, r.contact_name, r.contact_phone,
                 r.message, beijing(r.created_at))
        for r in rows
    ]
