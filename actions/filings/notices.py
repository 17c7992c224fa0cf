"""Lost-license notices: numbering, publication and the public search."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from actions.filings import states as st
from actions.filings.notice_search import NUMBER_PREFIX, NoticeQuery, criteria, format_number, license_key, name_key
from actions.filings.tables import Filing, Notice

__all__ = ["NUMBER_PREFIX", "format_number", "normalize_number", "publish_notice", "search", "find"]
MAX_PER_PAGE = 100


def normalize_number(number: str) -> str:
    """Notice numbers as typed by people: any case, stray spaces, full-width hyphens."""
    return number.strip().upper().replace("－", "-").replace("—", "-").replace(" ", "")


def publish_notice(session: Session, filing: Filing, day: date) -> Notice:
    """Create the notice of an approved filing; a concurrent publish makes the flush fail (and the caller retry)."""
    last = session.scalar(select(func.max(Notice.seq)).where(Notice.year == day.year)) or 0
    data = filing.data
    row = Notice(
        number=format_number(day.year, last + 1),
        filing_id=filing.id,
        year=day.year,
        seq=last + 1,
        company_name=data["company_name"],
        uscc=data["uscc"],
        license_type=data["license_type"],
        license_number=data["license_number"],
        lost_date=date.fromisoformat(data["lost_date"]),
        published_on=day,
        lost_copy=data.get("lost_copy") or None,
        name_key=name_key(data["company_name"]),
        license_key=license_key(data["license_number"]),
    )
    session.add(row)
    session.flush()
    return row


def search(session: Session, query: NoticeQuery, number: str = "", page: int = 1,
           per_page: int = 20) -> tuple[list[Notice], int]:
    """One page of the notices matching `query` (notice_search.parse_query), newest first, and the total.

    `number` (the board's own field) must also match, as part of the notice number.
    """
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    where = criteria(query)
    if number.strip():
        where = and_(where, Notice.number.contains(normalize_number(number), autoescape=True))
    stmt = select(Notice).where(where)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    ordered = stmt.order_by(Notice.published_on.desc(), Notice.year.desc(), Notice.seq.desc())
    rows = list(session.scalars(ordered.offset((page - 1) * per_page).limit(per_page)))
    return rows, int(total)


def find(session: Session, number: str) -> Notice | None:
    """The notice with this number (case and hyphen style forgiven)."""
    return session.get(Notice, normalize_number(number))


def same_license(session: Session, uscc: str, license_type: str, exclude: str | None = None,
                 limit: int = 20) -> list[Filing]:
    """Lost notices of the same company (USCC) and license type that are under review (submitted, approved) or
    published and not yet reissued: a second notice for them needs a reviewer's look. The oldest `limit`, filtered
    in the database (the open filings are not read one by one)."""
    uscc, license_type = uscc.strip().upper(), license_type.strip()
    others = (Filing.id != exclude,) if exclude else ()
    oldest = (Filing.submitted_at, Filing.id)
    published = select(Filing).join(Notice, Notice.filing_id == Filing.id).where(
        Notice.uscc == uscc, Notice.license_type == license_type, Filing.status == st.PUBLISHED, *others)
    under_review = select(Filing).where(
        Filing.kind == st.LOST_NOTICE, Filing.status.in_((st.SUBMITTED, st.APPROVED)),
        func.upper(Filing.data["uscc"].as_string()) == uscc, Filing.data["license_type"].as_string() == license_type,
        *others)
    rows = [*session.scalars(published.order_by(*oldest).limit(limit)),
            *session.scalars(under_review.order_by(*oldest).limit(limit))]
    return sorted(rows, key=lambda r: (r.submitted_at, r.id))[:limit]
