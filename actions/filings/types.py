"""What goes into the store (pydantic data) and what comes out (frozen views)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict


class LostNoticeData(BaseModel):
    """A lost-license notice application (遗失公告); the dialogue's form validates the content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    company_name: str
    uscc: str
    license_type: str
    license_number: str
    lost_date: date
    circumstances: str
    contact_name: str
    contact_phone: str


class ValidationData(BaseModel):
    """A medical-institution validation application (医疗机构校验)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    institution_name: str
    registration_number: str
    items: list[str]
    license_valid_until: date
    contact_name: str
    contact_phone: str


@dataclass(frozen=True)
class FilingView:
    """A filing as callers see it.

    `status` is a machine state (see states.py), `status_label` its Chinese label.
    `data` holds the submitted fields, JSON-safe (dates as ISO strings).
    `items` maps each validation item to its state (empty for notices).
    `history` lists filing-level transitions `(from, to, actor, at)`, oldest first; the submission
    itself is `("", "submitted", actor, at)`. Item decisions are in `FilingStore.transitions()`.
    `reason` is the rejection reason (notices) or None; `fix_fields` the fields it asks to correct.
    `item_notes` maps each validation item to the note of its latest decision (staff's words).
    `resubmission_of` is the rejected filing this one corrects; `resubmitted_as` the filing correcting this one.
    """

    filing_id: str
    kind: str
    status: str
    status_label: str
    submitted_at: datetime
    applicant: str
    contact_phone: str
    data: dict[str, Any]
    notice_number: str | None
    published_on: date | None
    items: dict[str, str]
    due_date: date | None
    history: list[tuple[str, str, str, datetime]]
    reason: str | None = None
    fix_fields: tuple[str, ...] = ()
    item_notes: dict[str, str] = field(default_factory=dict)
    resubmission_of: str | None = None
    resubmitted_as: str | None = None

    @property
    def tone(self) -> str:
        """How the status looks to the applicant: ok (done), info (under way), warn (needs them), bad (refused)."""
        from actions.filings.states import TONES

        return TONES.get(self.status, "info")

    def overdue(self, today: date) -> bool:
        """True when a validation's 10-working-day promise has passed without a final result."""
        from actions.filings.states import FINAL

        return self.due_date is not None and today > self.due_date and self.status not in FINAL


@dataclass(frozen=True)
class NoticeView:
    """A published lost-license notice; public, kept forever."""

    number: str
    filing_id: str
    company_name: str
    uscc: str
    license_type: str
    license_number: str
    lost_date: date
    published_on: date
    url: str
    pdf_url: str

    def to_json(self) -> dict[str, str]:
        """JSON-safe form (the board's `?format=json` and the `notice` card): public fields only, never the
        filing's reference (with the applicant's phone digits it opens the filing's status)."""
        return {
            "number": self.number,
            "company_name": self.company_name,
            "uscc": self.uscc,
            "license_type": self.license_type,
            "license_number": self.license_number,
            "lost_date": self.lost_date.isoformat(),
            "published_on": self.published_on.isoformat(),
            "url": self.url,
            "pdf_url": self.pdf_url,
        }


@dataclass(frozen=True)
class TransitionRecord:
    """One recorded transition; `item` is set for a validation item's decision."""

    filing_id: str
    item: str | None
    from_status: str
    to_status: str
    actor: str
    at: datetime
    note: str = ""


@dataclass(frozen=True)
class Reminder:
    """An institution whose validation falls due; `recorded_at` is set once written to the outbox."""

    registration_number: str
    institution_name: str
    due_date: date
    contact_name: str
    contact_phone: str
    message: str
    recorded_at: datetime | None = field(default=None)


class Notifier(Protocol):
    """Delivers a reminder (SMS, e-mail, staff queue ...); called once per newly recorded reminder."""

    def notify(self, reminder: Reminder) -> None: ...
