"""Published validation results (校验结果"一网公示"): publication when a validation is concluded, the public
search, and staff corrections (each kept as a visible record; a result is never deleted)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from actions.filings import states as st
from actions.filings.codes import content_code
from actions.filings.errors import InvalidData, ResultNotFound
from actions.filings.tables import Filing, FilingItem, ResultCorrection, ValidationResult
from actions.filings.types import ResultCorrectionView, ResultItem, ValidationResultView
from knowledge.clock import beijing

if TYPE_CHECKING:
    from actions.filings.store import FilingStore

NUMBER_PREFIX = "XHA-JY"  # 西海岸 校验
MAX_PER_PAGE = 100
OUTCOMES = (st.PASSED, st.NOT_PASSED)
RESULT_LABELS = {st.PASSED: "校验通过", st.NOT_PASSED: "校验未通过"}
OUTCOME_LABELS = {st.PASSED: "通过", st.NOT_PASSED: "不通过"}
CODE_PURPOSE = "validation-result-verification/v1"


def format_number(year: int, seq: int) -> str:
    """The public number of a result, e.g. XHA-JY-2026-0001 (yearly sequence)."""
    return f"{NUMBER_PREFIX}-{year}-{seq:04d}"


def normalize_number(number: str) -> str:
    """Result numbers as typed: any case, stray spaces, full-width hyphens."""
    return number.strip().upper().replace("－", "-").replace("—", "-").replace(" ", "")


def result_url(base_url: str, number: str) -> str:
    """The public page of a result (relative when no base URL is configured)."""
    return f"{base_url.rstrip('/')}/validation-results/{number}"


def publish(session: Session, filing: Filing, day: date, now: datetime) -> ValidationResult:
    """Publish the result of a validation just concluded (its items' final decisions); once per filing."""
    items = session.scalars(select(FilingItem).where(FilingItem.filing_id == filing.id).order_by(FilingItem.position))
    last = session.scalar(select(func.max(ValidationResult.seq)).where(ValidationResult.year == day.year)) or 0
    data = filing.data
    row = ValidationResult(
        number=format_number(day.year, last + 1), filing_id=filing.id, year=day.year, seq=last + 1,
        institution_name=data["institution_name"], registration_number=data["registration_number"],
        items=[{"name": i.name, "outcome": i.state} for i in items], result=filing.status, concluded_on=day,
        published_at=now, revision=0,
    )
    session.add(row)
    session.flush()
    return row


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(session: Session, q: str = "", page: int = 1, per_page: int = 20) -> tuple[list[ValidationResult], int]:
    """One page of results, newest first, and the total matching; `q` is part of the name or of the 登记号."""
    page, per_page = max(1, page), min(max(1, per_page), MAX_PER_PAGE)
    stmt = select(ValidationResult)
    q = q.strip()
    if q:
        compact = q.replace(" ", "").replace("-", "").upper()
        stmt = stmt.where(or_(ValidationResult.institution_name.ilike(_like(q), escape="\\"),
                              ValidationResult.registration_number.ilike(_like(compact), escape="\\"),
                              ValidationResult.number == normalize_number(q)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    ordered = stmt.order_by(ValidationResult.concluded_on.desc(), ValidationResult.year.desc(), ValidationResult.seq.desc())
    return list(session.scalars(ordered.offset((page - 1) * per_page).limit(per_page))), int(total)


def find(session: Session, number: str) -> ValidationResult | None:
    """The result with this number (case and hyphen style forgiven)."""
    return session.get(ValidationResult, normalize_number(number))


def view(session: Session, row: ValidationResult, base_url: str) -> ValidationResultView:
    """The public view of a result with its corrections, oldest first."""
    corrections = session.scalars(select(ResultCorrection).where(ResultCorrection.number == row.number)
                                  .order_by(ResultCorrection.revision))
    return ValidationResultView(
        number=row.number, filing_id=row.filing_id, institution_name=row.institution_name,
        registration_number=row.registration_number,
        items=tuple(ResultItem(str(i["name"]), str(i["outcome"])) for i in row.items), result=row.result,
        concluded_on=row.concluded_on, published_at=beijing(row.published_at), revision=row.revision,
        corrections=tuple(ResultCorrectionView(c.revision, beijing(c.at), c.actor, c.reason, dict(c.before),
                                               dict(c.after)) for c in corrections),
        url=result_url(base_url, row.number),
    )


def _content(row: ValidationResult) -> dict[str, Any]:
    return {"institution_name": row.institution_name, "registration_number": row.registration_number,
            "items": [dict(i) for i in row.items], "result": row.result, "concluded_on": row.concluded_on.isoformat()}


def correct(session: Session, number: str, actor: str, reason: str, *, outcomes: dict[str, str] | None = None,
            institution_name: str | None = None, registration_number: str | None = None, now: datetime) -> ValidationResult:
    """Correct a published result (item outcomes, the institution's name or 登记号); the overall result follows
    the items. The previous content is kept in a correction record shown with the result."""
    row = session.get(ValidationResult, normalize_number(number), with_for_update=True)
    if row is None:
        raise ResultNotFound(number)
    if not reason.strip():
        raise InvalidData("a correction needs a reason", "更正必须填写原因，公示页面会显示。")
    before = _content(row)
    items = [dict(i) for i in row.items]
    for name, outcome in (outcomes or {}).items():
        if outcome not in OUTCOMES:
            raise InvalidData(f"outcome must be one of {OUTCOMES}", "事项结论只能是通过或不通过。")
        match = next((i for i in items if i["name"] == name), None)
        if match is None:
            raise InvalidData(f"{row.number} has no item {name!r}", f"该公示结果没有“{name}”这一事项。")
        match["outcome"] = outcome
    row.items = items
    row.result = st.finish_target(i["outcome"] for i in items)
    if institution_name is not None and institution_name.strip():
        row.institution_name = institution_name.strip()
    if registration_number is not None and registration_number.strip():
        row.registration_number = registration_number.strip().upper()
    after = _content(row)
    if after == before:
        raise InvalidData("the correction changes nothing", "更正内容与现有公示内容相同，未作更改。")
    row.revision += 1
    session.add(ResultCorrection(number=row.number, revision=row.revision, at=now, actor=actor, reason=reason.strip(),
                                 before=before, after=after))
    session.flush()
    return row


def version_fields(number: str, revision: int, content: dict[str, Any]) -> list[str]:
    """The fields one version's code vouches for, in a fixed order."""
    items = ";".join(f"{i['name']}={i['outcome']}" for i in content["items"])
    return [number, str(revision), content["institution_name"], content["registration_number"], items,
            content["result"], content["concluded_on"]]


def result_code(v: ValidationResultView, secret: str, revision: int | None = None) -> str:
    """The verification code of the current version (or of an earlier `revision`)."""
    versions = v.versions()
    rev = v.revision if revision is None else revision
    return content_code(CODE_PURPOSE, version_fields(v.number, rev, versions[rev]), secret)


class ResultBoard:
    """The published results over the filing store's database: the public search and page, staff corrections."""

    def __init__(self, store: FilingStore):
        self.store = store

    def search(self, q: str = "", page: int = 1, per_page: int = 20) -> tuple[list[ValidationResultView], int]:
        """One page of results (newest first) and the total matching `q` (part of the name or 登记号, or a number)."""
        def read(s: Session) -> tuple[list[ValidationResultView], int]:
            rows, total = search(s, q, page, per_page)
            return [view(s, r, self.store.public_base_url) for r in rows], total

        return self.store.read(read)

    def get(self, number: str) -> ValidationResultView | None:
        """The result with this number, with its corrections, or None."""
        def read(s: Session) -> ValidationResultView | None:
            row = find(s, number)
            return view(s, row, self.store.public_base_url) if row is not None else None

        return self.store.read(read)

    def of_filing(self, filing_id: str) -> ValidationResultView | None:
        """The published result of a validation, or None (not concluded)."""
        def read(s: Session) -> ValidationResultView | None:
            row = s.scalar(select(ValidationResult).where(ValidationResult.filing_id == filing_id.strip().upper()))
            return view(s, row, self.store.public_base_url) if row is not None else None

        return self.store.read(read)

    def correct(self, number: str, actor: str, reason: str, *, outcomes: dict[str, str] | None = None,
                institution_name: str | None = None, registration_number: str | None = None) -> ValidationResultView:
        """Correct a published result; the correction (before, after, reason, who, when) is kept and shown."""
        def write(s: Session) -> ValidationResultView:
            row = correct(s, number, actor, reason, outcomes=outcomes, institution_name=institution_name,
                          registration_number=registration_number, now=self.store.now())
            return view(s, row, self.store.public_base_url)

        return self.store.write(write)
