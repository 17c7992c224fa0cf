"""What goes into the store (pydantic data) and what comes out (frozen views)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class LostCopy(StrEnum):
    """Which copy of the license was lost; the notice states it (a license has a 正本 and a 副本)."""

    ORIGINAL = "正本"
    DUPLICATE = "副本"
    BOTH = "正副本"


class LostNoticeData(BaseModel):
    """A lost-license notice application (遗失公告); the dialogue's form validates the content.

    `lost_copy` is asked by the form; applications filed before it was asked have none (their notices say
    nothing about it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    company_name: str
    uscc: str
    license_type: str
    license_number: str
    lost_date: date
    circumstances: str
    contact_name: str
    contact_phone: str
    lost_copy: LostCopy | None = None


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
    lost_copy: LostCopy | None = None  # None for notices filed before the form asked it

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
            "lost_copy": self.lost_copy.value if self.lost_copy else "",
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


@dataclass(frozen=True)
class DeliveryView:
    """One reminder on one channel, as reviewers see it (`address` is personal data: staff only)."""

    id: int
    reminder_id: int
    channel: str  # email | sms | chat
    address: str
    status: str  # pending sending sent retrying failed
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str
    updated_at: datetime
    registration_number: str
    institution_name: str
    due_date: date
    message: str

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt of this institution's reminder of this due date (gateways drop repeats)."""
        return f"lingling-reminder-{self.registration_number}-{self.due_date.isoformat()}"


@dataclass(frozen=True)
class ResultItem:
    """One item of a published validation result: its name and outcome (passed | not_passed)."""

    name: str
    outcome: str


@dataclass(frozen=True)
class ResultCorrectionView:
    """A correction of a published result, shown publicly with the result (who did it is for staff only)."""

    revision: int
    at: datetime
    actor: str
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class ValidationResultView:
    """A concluded validation as published (一网公示): no personal data; permanent, corrected only visibly."""

    number: str
    filing_id: str
    institution_name: str
    registration_number: str
    items: tuple[ResultItem, ...]
    result: str  # passed | not_passed
    concluded_on: date
    published_at: datetime
    revision: int  # corrections so far
    corrections: tuple[ResultCorrectionView, ...]
    url: str

    def content(self) -> dict[str, Any]:
        """The published content (what a correction changes and a verification code vouches for)."""
        return {"institution_name": self.institution_name, "registration_number": self.registration_number,
                "items": [{"name": i.name, "outcome": i.outcome} for i in self.items], "result": self.result,
                "concluded_on": self.concluded_on.isoformat()}

    def versions(self) -> list[dict[str, Any]]:
        """Every published version's content, the first (as concluded) first and the current one last."""
        return [*(c.before for c in self.corrections), self.content()]


@dataclass(frozen=True)
class InstitutionView:
    """A registry entry (personal data included: for staff and for the institution itself)."""

    registration_number: str
    name: str
    license_valid_until: date
    contact_name: str
    contact_phone: str
    email: str
    address: str
    category: str
    source: str  # import | application
    last_filing_id: str | None
    updated_at: datetime
