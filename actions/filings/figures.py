"""The medical-validation figures of the staff dashboard, computed from the records themselves: applications,
working days from submission to conclusion against the 10-working-day promise, items sent to rectification and
how many of them were completed, and institutions falling due within three months."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.filings import states as st
from actions.filings.dates import PROMISED_WORKING_DAYS, is_working_day
from actions.filings.reminders import due
from actions.filings.tables import Filing, FilingItem, Institution, Transition
from knowledge.clock import beijing_date
from knowledge.hours import WorkingDay

if TYPE_CHECKING:
    from actions.filings.store import FilingStore


@dataclass(frozen=True)
class ValidationFigures:
    """What the dashboard shows about medical validations (all time, as recorded by 灵灵)."""

    applications: int  # validation applications received
    open: int  # not concluded yet
    passed: int
    not_passed: int
    concluded: int
    average_working_days: float | None  # submission day to conclusion day (None before the first conclusion)
    within_promise: int  # concluded within PROMISED_WORKING_DAYS
    promised_days: int
    rectification_items: int  # items ever sent to rectification
    rectification_now: int  # items in rectification now
    rectification_done: int  # items sent to rectification and then passed
    institutions: int  # in the registry
    due_soon: int  # due within three months, no application covering it

    @property
    def rectification_rate(self) -> float | None:
        """Share of the items sent to rectification that completed it (passed afterwards)."""
        return self.rectification_done / self.rectification_items if self.rectification_items else None

    @property
    def promise_rate(self) -> float | None:
        return self.within_promise / self.concluded if self.concluded else None


def working_days_between(start: dt.date, end: dt.date, working_day: WorkingDay = is_working_day) -> int:
    """Working days after `start` up to and including `end` (a conclusion the day of submission counts 0)."""
    days, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        days += 1 if working_day(current) else 0
    return days


def compute(session: Session, today: dt.date, working_day: WorkingDay = is_working_day) -> ValidationFigures:
    """The figures from the filings, their transitions and items, and the institution registry."""
    counts = dict(session.execute(select(Filing.status, func.count()).where(Filing.kind == st.MEDICAL_VALIDATION)
                                  .group_by(Filing.status)).all())
    concluded_at = session.execute(
        select(Filing.submitted_at, func.min(Transition.at)).join(Transition, Transition.filing_id == Filing.id)
        .where(Filing.kind == st.MEDICAL_VALIDATION, Transition.item.is_(None),
               Transition.to_status.in_((st.PASSED, st.NOT_PASSED)))
        .group_by(Filing.id, Filing.submitted_at)).all()
    spans = [working_days_between(beijing_date(sub), beijing_date(end), working_day) for sub, end in concluded_at]
    sent: set[tuple[str, str]] = {(f, str(n)) for f, n in session.execute(select(Transition.filing_id, Transition.item).where(
        Transition.item.is_not(None), Transition.to_status == st.RECTIFICATION)).all()}
    states = {(f, n): s for f, n, s in session.execute(select(FilingItem.filing_id, FilingItem.name, FilingItem.state))}
    return ValidationFigures(
        applications=sum(counts.values()), open=sum(n for s, n in counts.items() if s not in st.FINAL),
        passed=counts.get(st.PASSED, 0), not_passed=counts.get(st.NOT_PASSED, 0), concluded=len(spans),
        average_working_days=round(sum(spans) / len(spans), 1) if spans else None,
        within_promise=sum(1 for d in spans if d <= PROMISED_WORKING_DAYS), promised_days=PROMISED_WORKING_DAYS,
        rectification_items=len(sent), rectification_now=sum(1 for k in sent if states.get(k) == st.RECTIFICATION),
        rectification_done=sum(1 for k in sent if states.get(k) == st.PASSED),
        institutions=int(session.scalar(select(func.count()).select_from(Institution)) or 0),
        due_soon=len(due(session, today, 3)),
    )


def validation_figures(store: FilingStore, today: dt.date, working_day: WorkingDay = is_working_day) -> ValidationFigures:
    """The figures, read in one transaction of the filing store."""
    return store.read(lambda s: compute(s, today, working_day))
