"""The institution registry: the district's list imported by staff (preview, then commit; re-imports update by
登记号), kept current by validation applications, and the institution's own identification (登记号 + the last
four digits of its contact phone, with an attempt limit) for the due question and chat reminders.

`InstitutionRegistry` is the one API over the `institutions` and `institution_imports` tables (the app builds one,
`Services.institutions`; the standalone action server too). No personal value is ever logged.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from actions.filings import states as st
from actions.filings.dates import add_months
from actions.filings.errors import RegistryError
from actions.filings.roster import FIELDS, read_roster
from actions.filings.tables import Filing, Institution, InstitutionImport
from actions.filings.types import InstitutionView, ValidationData
from knowledge.clock import beijing, beijing_date

if TYPE_CHECKING:
    from actions.filings.store import FilingStore

log = logging.getLogger(__name__)
SYNCED = ("name", "license_valid_until", "contact_name", "contact_phone", "address", "category", "email")
LOOKUP_LIMIT = 5  # wrong last-four answers per institution ...
LOOKUP_WINDOW = dt.timedelta(hours=24)  # ... within this window lock its look-ups until the window ends
COVERED_MONTHS = 6  # an application this close before the due date (not failed) covers it: no reminder
PREVIEW = "preview"
COMMITTED = "committed"
DISCARDED = "discarded"


@dataclass(frozen=True)
class PreviewRow:
    """One row of an import as it would change the registry."""

    row: int
    values: dict[str, Any]
    change: str  # new | updated | unchanged
    changed: tuple[str, ...] = ()  # fields an update changes


@dataclass(frozen=True)
class ImportView:
    """An import: its rows compared with the registry now, its row errors and, once committed, the counts."""

    id: str
    filename: str
    actor: str
    created_at: dt.datetime
    status: str
    rows: list[PreviewRow]
    errors: list[dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)

    def count(self, change: str) -> int:
        return sum(1 for r in self.rows if r.change == change)


@dataclass(frozen=True)
class Identification:
    """The outcome of an institution identifying itself: ok (with the entry), no_match or locked."""

    status: str
    institution: InstitutionView | None = None


def institution_view(row: Institution) -> InstitutionView:
    return InstitutionView(row.registration_number, row.name, row.license_valid_until, row.contact_name,
                           row.contact_phone, row.email or "", row.address or "", row.category or "",
                           row.source or "application", row.last_filing_id, beijing(row.updated_at))


def _values(row: Institution) -> dict[str, Any]:
    return {"name": row.name, "license_valid_until": row.license_valid_until.isoformat(), "contact_name": row.contact_name,
            "contact_phone": row.contact_phone, "address": row.address or "", "category": row.category or "",
            "email": row.email or ""}


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def upsert_from_application(session: Session, data: ValidationData, filing_id: str, now: dt.datetime) -> None:
    """An application through 灵灵 refreshes its institution (the latest source wins; imported extras are kept)."""
    reg = data.registration_number.strip().upper()
    inst = session.get(Institution, reg, with_for_update=True)
    if inst is None:
        inst = Institution(registration_number=reg, address="", category="", email="", lookup_failures=0)
        session.add(inst)
    inst.name = data.institution_name
    inst.license_valid_until = data.license_valid_until
    inst.contact_name = data.contact_name
    inst.contact_phone = data.contact_phone
    inst.last_filing_id = filing_id
    inst.source = "application"
    inst.updated_at = now


def covered(session: Session, inst: Institution) -> bool:
    """True when an application of this institution, made within COVERED_MONTHS before its due date, is in
    progress or passed: it needs no reminder for that date."""
    if not inst.last_filing_id:
        return False
    filing = session.get(Filing, inst.last_filing_id)
    if filing is None or filing.status == st.NOT_PASSED:
        return False
    return beijing_date(filing.submitted_at) >= add_months(inst.license_valid_until, -COVERED_MONTHS)


class InstitutionRegistry:
    """The registry over the filing store's database (same engine, same transactions discipline)."""

    def __init__(self, store: FilingStore):
        self.store = store

    # -- imports ----------------------------------------------------------------------------------
    def preview_import(self, filename: str, data: bytes, actor: str) -> ImportView:
        """Read a list and keep it as a preview (nothing in the registry changes); RegistryError when unreadable."""
        now = self.store.now()
        roster = read_roster(filename, data, beijing_date(now))
        import_id = uuid.uuid4().hex

        def write(s: Session) -> None:
            s.add(InstitutionImport(id=import_id, filename=filename[:200], actor=actor, created_at=now, status=PREVIEW,
                                    rows=roster.rows, errors=[e.to_json() for e in roster.errors],
                                    summary={"total": roster.total}))

        self.store.write(write)
        log.info("institution list %s previewed: %d rows, %d valid, %d errors", import_id, roster.total,
                 len(roster.rows), len(roster.errors))
        found = self.import_view(import_id)
        assert found is not None
        return found

    def import_view(self, import_id: str) -> ImportView | None:
        """An import with its rows compared with the registry as it is now."""
        def read(s: Session) -> ImportView | None:
            imp = s.get(InstitutionImport, import_id)
            return None if imp is None else self._view(s, imp)

        return self.store.read(read)

    def _view(self, s: Session, imp: InstitutionImport) -> ImportView:
        regs = [r["registration_number"] for r in imp.rows]
        existing = {i.registration_number: _values(i)
                    for i in s.scalars(select(Institution).where(Institution.registration_number.in_(regs)))} if regs else {}
        rows = []
        for r in imp.rows:
            values = {k: r.get(k, "") for k in FIELDS}
            old = existing.get(r["registration_number"])
            if old is None:
                rows.append(PreviewRow(r["row"], values, "new"))
            else:
                changed = tuple(k for k in SYNCED if values[k] and values[k] != (old[k] or ""))
                rows.append(PreviewRow(r["row"], values, "updated" if changed else "unchanged", changed))
        return ImportView(imp.id, imp.filename, imp.actor, beijing(imp.created_at), imp.status, rows, list(imp.errors),
                          dict(imp.summary))

    def commit_import(self, import_id: str, actor: str) -> ImportView:
        """Apply a previewed import: new institutions added, known ones updated (by 登记号); an optional column
        left empty keeps what the registry has. RegistryError when it is not a preview any more."""
        def write(s: Session) -> ImportView:
            imp = s.get(InstitutionImport, import_id, with_for_update=True)
            if imp is None or imp.status != PREVIEW:
                raise RegistryError(f"import {import_id} is not a preview", "这次导入已提交或已放弃，请重新上传。")
            view = self._view(s, imp)
            now = self.store.now()
            for row in view.rows:
                if row.change == "unchanged":
                    continue
                v = row.values
                inst = s.get(Institution, v["registration_number"], with_for_update=True)
                if inst is None:
                    inst = Institution(registration_number=v["registration_number"], lookup_failures=0, address="",
                                       category="", email="")
                    s.add(inst)
                for key in SYNCED:
                    if v[key]:  # an optional column left empty keeps what the registry has
                        setattr(inst, key, dt.date.fromisoformat(v[key]) if key == "license_valid_until" else v[key])
                inst.source = "import"
                inst.updated_at = now
            counts = {c: view.count(c) for c in ("new", "updated", "unchanged")}
            imp.status, imp.committed_at, imp.committed_by = COMMITTED, now, actor
            imp.summary = {**imp.summary, **counts, "errors": len(imp.errors)}
            s.flush()
            return self._view(s, imp)

        done = self.store.write(write)
        log.info("institution list %s committed: %s", import_id, done.summary)
        return done

    def discard_import(self, import_id: str) -> None:
        """Drop a preview (its rows are removed; the record stays)."""
        def write(s: Session) -> None:
            imp = s.get(InstitutionImport, import_id, with_for_update=True)
            if imp is not None and imp.status == PREVIEW:
                imp.status, imp.rows = DISCARDED, []

        self.store.write(write)

    def imports(self, limit: int = 20) -> list[ImportView]:
        """Recent imports, newest first (without their rows)."""
        def read(s: Session) -> list[ImportView]:
            rows = s.scalars(select(InstitutionImport).order_by(InstitutionImport.created_at.desc()).limit(limit))
            return [ImportView(i.id, i.filename, i.actor, beijing(i.created_at), i.status, [], list(i.errors),
                               dict(i.summary)) for i in rows]

        return self.store.read(read)

    # -- the registry -----------------------------------------------------------------------------
    def get(self, registration_number: str) -> InstitutionView | None:
        def read(s: Session) -> InstitutionView | None:
            row = s.get(Institution, registration_number.strip().upper())
            return institution_view(row) if row else None

        return self.store.read(read)

    def search(self, q: str = "", page: int = 1, per_page: int = 50) -> tuple[list[InstitutionView], int]:
        """Institutions by part of the name or 登记号, soonest due first."""
        def read(s: Session) -> tuple[list[InstitutionView], int]:
            stmt = select(Institution)
            if q.strip():
                like = f"%{q.strip()}%"
                stmt = stmt.where(or_(Institution.name.like(like), Institution.registration_number.like(like.upper())))
            total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = s.scalars(stmt.order_by(Institution.license_valid_until, Institution.registration_number)
                             .offset((max(1, page) - 1) * per_page).limit(per_page))
            return [institution_view(r) for r in rows], int(total)

        return self.store.read(read)

    def due(self, today: dt.date, months: int = 3) -> list[InstitutionView]:
        """Institutions whose validation falls due between today and today + `months`, not covered by an application."""
        def read(s: Session) -> list[InstitutionView]:
            rows = s.scalars(select(Institution).where(Institution.license_valid_until >= today,
                                                       Institution.license_valid_until <= add_months(today, months))
                             .order_by(Institution.license_valid_until, Institution.registration_number))
            return [institution_view(r) for r in rows if not covered(s, r)]

        return self.store.read(read)

    def identify(self, registration_number: str, phone_last4: str) -> Identification:
        """The institution when `phone_last4` ends its contact phone. Wrong answers count against the institution
        (LOOKUP_LIMIT within LOOKUP_WINDOW lock it: `locked`, the right answer too); an unknown 登记号 answers
        `no_match` like a wrong number, so nothing tells the two apart."""
        given = _digits(phone_last4)
        reg = registration_number.strip().upper()

        def write(s: Session) -> Identification:
            inst = s.get(Institution, reg, with_for_update=True)
            if inst is None or len(given) != 4:
                return Identification("no_match")
            now = self.store.now()
            start = inst.lookup_window_start
            if start is not None and beijing(start) + LOOKUP_WINDOW <= now:
                inst.lookup_failures, inst.lookup_window_start = 0, None
            if (inst.lookup_failures or 0) >= LOOKUP_LIMIT:
                return Identification("locked")
            phone = _digits(inst.contact_phone)
            if len(phone) >= 4 and hmac.compare_digest(phone[-4:], given):
                inst.lookup_failures, inst.lookup_window_start = 0, None
                return Identification("ok", institution_view(inst))
            inst.lookup_failures = (inst.lookup_failures or 0) + 1
            inst.lookup_window_start = inst.lookup_window_start or now
            return Identification("locked" if inst.lookup_failures >= LOOKUP_LIMIT else "no_match")

        return self.store.write(write)

    def count(self) -> int:
        return self.store.read(lambda s: int(s.scalar(select(func.count()).select_from(Institution)) or 0))
