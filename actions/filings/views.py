"""Turning rows into the views callers see."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.filings.states import status_label
from actions.filings.tables import Filing, FilingItem, Notice, Transition
from actions.filings.types import FilingView, LostCopy, NoticeView, TransitionRecord
from knowledge.clock import beijing


def notice_urls(base_url: str, number: str) -> tuple[str, str]:
    """The public page and PDF addresses of a notice (relative when no base URL is configured)."""
    page = f"{base_url.rstrip('/')}/notices/{number}"
    return page, f"{page}.pdf"


def notice_view(row: Notice, base_url: str) -> NoticeView:
    url, pdf_url = notice_urls(base_url, row.number)
    return NoticeView(
        number=row.number,
        filing_id=row.filing_id,
        company_name=row.company_name,
        uscc=row.uscc,
        license_type=row.license_type,
        license_number=row.license_number,
        lost_date=row.lost_date,
        published_on=row.published_on,
        url=url,
        pdf_url=pdf_url,
        lost_copy=LostCopy(row.lost_copy) if row.lost_copy and row.lost_copy in LostCopy._value2member_map_ else None,
    )


def transition_records(session: Session, filing_id: str) -> list[TransitionRecord]:
    rows = session.scalars(select(Transition).where(Transition.filing_id == filing_id).order_by(Transition.id))
    return [TransitionRecord(r.filing_id, r.item, r.from_status, r.to_status, r.actor, beijing(r.at), r.note) for r in rows]


def filing_view(session: Session, row: Filing) -> FilingView:
    """The full view of one filing (items, notice and history included)."""
    items = list(session.scalars(select(FilingItem).where(FilingItem.filing_id == row.id).order_by(FilingItem.position)))
    notice = session.scalar(select(Notice).where(Notice.filing_id == row.id))
    history = [
        (t.from_status, t.to_status, t.actor, t.at)
        for t in transition_records(session, row.id)
        if t.item is None
    ]
    return FilingView(
        filing_id=row.id,
        kind=row.kind,
        status=row.status,
        status_label=status_label(row.status),
        submitted_at=beijing(row.submitted_at),
        applicant=row.applicant,
        contact_phone=row.contact_phone,
        data=dict(row.data),
        notice_number=notice.number if notice else None,
        published_on=notice.published_on if notice else None,
        items={i.name: i.state for i in items},
        due_date=row.due_date,
        history=history,
        reason=row.reason,
        fix_fields=tuple(row.fix_fields or ()),
        item_notes={i.name: i.note for i in items if i.note},
        resubmission_of=row.resubmission_of,
        resubmitted_as=session.scalar(select(Filing.id).where(Filing.resubmission_of == row.id)),
    )
