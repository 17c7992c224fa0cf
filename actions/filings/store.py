"""FilingStore: the one API over the filing records (actions, CLI and web pages use only this)."""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from actions.filings import institutions, lookups, notices, resubmissions, results, validations
from actions.filings import states as st
from actions.filings.dates import PROMISED_WORKING_DAYS, add_working_days
from actions.filings.db import make_engine
from actions.filings.errors import (
    FilingNotFound,
    IdempotencyConflict,
    InvalidData,
    InvalidTransition,
    LookupLimited,
    WrongKind,
)
from actions.filings.notice_search import NoticeQuery, parse_query
from actions.filings.tables import SCHEMA, Filing, FilingItem, Transition
from actions.filings.types import (
    FilingView,
    LostNoticeData,
    NoticeView,
    TransitionRecord,
    ValidationData,
)
from actions.filings.views import filing_view, notice_view, transition_records
from knowledge.clock import Clock, beijing_date, system_clock
from knowledge.schema import upgrade
from nlu import references

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
_ATTEMPTS = 8


def _clean(value: str, what: str, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        raise InvalidData(f"{what} must be a non-empty string of at most {limit} characters")
    return value.strip()


def _recheck(model: type[M], data: Any) -> M:
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data.model_dump() if isinstance(data, BaseModel) else data)
    except ValidationError as exc:
        raise InvalidData(f"{model.__name__}: {exc.errors()[:3]}") from exc


def _key(key: str) -> str:
    """The stored idempotency key; keys longer than the column are stored as their SHA-256."""
    key = _clean(key, "idempotency_key", limit=10_000)
    return key if len(key) <= 200 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def _filing_key(filing_id: str) -> str:
    """The stored form of a typed reference (nlu/references.py), or the text upper-cased when it is none."""
    if not isinstance(filing_id, str):
        return ""
    return references.canonical(filing_id) or filing_id.strip().upper()


class FilingStore:
    """Lost-license notices and medical validations, with every transition recorded (who, when).

    `db_url` is any SQLAlchemy URL (SQLite or PostgreSQL); call `migrate()` once before use.
    `public_base_url` prefixes notice URLs (relative `/notices/...` when empty).
    `clock` is the project's clock (knowledge/clock.py): ids, publish days and promised dates are Beijing days.
    """

    def __init__(self, db_url: str, public_base_url: str = "", *, clock: Clock = system_clock):
        self.db_url = db_url
        self.public_base_url = public_base_url
        self._clock = clock
        self.engine = make_engine(db_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    # -- plumbing ---------------------------------------------------------------------------------
    def migrate(self) -> None:
        """Create or upgrade the filing tables (their Alembic revisions); safe to call on every start."""
        upgrade(self.engine, [SCHEMA])

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def _now(self) -> datetime:
        return self._clock()

    def now(self) -> datetime:
        """Now, by the store's clock (the registry, the reminders and the results use it)."""
        return self._clock()

    def write(self, fn: Callable[[Session], T]) -> T:
        """Run `fn` in one committed transaction (retried when a unique key raced): for the modules beside the store."""
        return self._write(fn)

    def session(self) -> Session:
        """A new session (for modules that run one transaction per record, like the reminder outbox)."""
        return self._sessions()

    def read(self, fn: Callable[[Session], T]) -> T:
        """Run `fn` in one read transaction."""
        return self._read(fn)

    def _write(self, fn: Callable[[Session], T]) -> T:
        """Run `fn` in one transaction, committed before returning; retry when a unique key raced."""
        for attempt in range(_ATTEMPTS):
            with self._sessions() as session:
                try:
                    with session.begin():
                        return fn(session)
                except IntegrityError:
                    if attempt == _ATTEMPTS - 1:
                        raise
            time.sleep(random.uniform(0.002, 0.02) * (attempt + 1))
        raise AssertionError("unreachable")

    def _read(self, fn: Callable[[Session], T]) -> T:
        with self._sessions() as session, session.begin():
            return fn(session)

    def _locked(self, session: Session, filing_id: str) -> Filing:
        row = session.get(Filing, _filing_key(filing_id), with_for_update=True)
        if row is None:
            raise FilingNotFound(filing_id)
        return row

    # -- submitting -------------------------------------------------------------------------------
    def submit_lost_notice(self, data: LostNoticeData, idempotency_key: str, actor: str = "applicant",
                           resubmission_of: str | None = None) -> FilingView:
        """Record a lost-license notice application; the same key returns the same filing.

        `resubmission_of`: the rejected filing this one corrects (see `_submit`).
        """
        data = _recheck(LostNoticeData, data)
        # exclude_none: an application without `lost_copy` keeps the shape it had before the field existed
        return self._submit(st.LOST_NOTICE, data.model_dump(mode="json", exclude_none=True), data.company_name,
                            data.contact_phone, idempotency_key, actor, resubmission_of=resubmission_of)

    def submit_validation(self, data: ValidationData, idempotency_key: str, actor: str = "applicant",
                          resubmission_of: str | None = None) -> FilingView:
        """Record a medical-institution validation; due date = submission day + 10 working days."""
        data = _recheck(ValidationData, data)
        items = list(dict.fromkeys(i.strip() for i in data.items if i.strip()))
        if not items:
            raise InvalidData("a validation needs at least one item", "请至少选择一项校验事项。")
        payload = {**data.model_dump(mode="json"), "items": items}

        def extra(session: Session, row: Filing, now: datetime) -> None:
            for pos, name in enumerate(items):
                session.add(FilingItem(filing_id=row.id, name=_clean(name, "item"), position=pos, state=st.PENDING,
                                       note="", updated_at=now))
            institutions.upsert_from_application(session, data, row.id, now)

        return self._submit(st.MEDICAL_VALIDATION, payload, data.institution_name, data.contact_phone,
                            idempotency_key, actor, extra, resubmission_of)

    def _submit(self, kind: str, payload: dict[str, Any], applicant: str, phone: str, key: str, actor: str,
                extra: Callable[[Session, Filing, datetime], None] | None = None,
                resubmission_of: str | None = None) -> FilingView:
        """Store a new filing. A resubmission names the rejected (or not passed) filing of the same kind it
        corrects; each filing is resubmitted at most once (the same key returns the same filing)."""
        key = _key(key)
        actor = _clean(actor, "actor")
        original_id = resubmission_of.strip().upper() if resubmission_of and resubmission_of.strip() else None

        def attempt(session: Session) -> FilingView:
            existing = session.scalar(select(Filing).where(Filing.idempotency_key == key))
            if existing is not None:
                if existing.kind != kind or existing.data != payload:
                    raise IdempotencyConflict(f"key {key!r} already used by {existing.id} with other data")
                return filing_view(session, existing)
            if original_id is not None:
                resubmissions.check(session, self._locked(session, original_id), kind)
            now = self._now()
            day = beijing_date(now)
            # A random reference: nothing to guess, no daily number to use up; a clash (one in 10^9) is retried.
            row = Filing(id=references.new_reference(st.ID_PREFIX[kind], day), kind=kind, status=st.SUBMITTED,
                         idempotency_key=key, applicant=applicant, contact_phone=phone, data=payload,
                         submitted_at=now, updated_at=now, reason=None, resubmission_of=original_id,
                         due_date=add_working_days(day, PROMISED_WORKING_DAYS) if kind == st.MEDICAL_VALIDATION else None)
            session.add(row)
            session.flush()  # a duplicate id or key fails here, and the whole attempt is retried
            session.add(Transition(filing_id=row.id, item=None, from_status="", to_status=st.SUBMITTED, actor=actor,
                                   at=now, note=""))
            if extra is not None:
                extra(session, row, now)
            session.flush()
            return filing_view(session, row)

        return self._write(attempt)

    # -- reading ----------------------------------------------------------------------------------
    def get(self, filing_id: str) -> FilingView | None:
        """The filing with this id (case-insensitive), or None."""
        def read(session: Session) -> FilingView | None:
            row = session.get(Filing, _filing_key(filing_id))
            return filing_view(session, row) if row is not None else None

        return self._read(read)

    def status_for(self, filing_id: str, phone_last4: str, client: str = "") -> FilingView | None:
        """The filing, only when `phone_last4` (exactly 4 digits) ends its contact phone; else None.

        Wrong answers are limited per filing and per `client` (actions/filings/lookups.py): beyond the limits
        LookupLimited is raised, whatever the answer."""
        given = _digits(phone_last4)
        if len(given) != 4 or not isinstance(filing_id, str):
            return None
        view = self.get(filing_id)
        # Counted as wrong until it proves right, so that concurrent guesses cannot pass the limits; a reference
        # that does not exist counts against the client only.
        counters = lookups.limits(view.filing_id if view is not None else "", client)

        def admit(session: Session) -> None:
            for counter in counters:
                if not lookups.take(session, counter, self._now()):
                    raise LookupLimited(counter.which)

        self._write(admit)
        if view is None:
            return None
        phone = _digits(view.contact_phone)
        if len(phone) >= 4 and hmac.compare_digest(phone[-4:], given):
            def right(session: Session) -> None:
                for counter in counters:  # only wrong answers count, for the filing and for the client
                    lookups.give_back(session, counter)

            self._write(right)
            return view
        return None

    def transitions(self, filing_id: str) -> list[TransitionRecord]:
        """Every recorded transition of a filing, item decisions included, oldest first."""
        return self._read(lambda s: transition_records(s, filing_id.strip().upper()))

    def list_filings(self, kind: str | None = None, status: str | None = None, limit: int = 50,
                     offset: int = 0) -> list[FilingView]:
        """Filings, newest first, optionally of one kind and/or status."""
        def read(session: Session) -> list[FilingView]:
            stmt = select(Filing)
            if kind:
                stmt = stmt.where(Filing.kind == kind)
            if status:
                stmt = stmt.where(Filing.status == status)
            stmt = stmt.order_by(Filing.submitted_at.desc(), Filing.id.desc())
            rows = session.scalars(stmt.offset(max(0, offset)).limit(min(max(1, limit), 500)))
            return [filing_view(session, r) for r in rows]

        return self._read(read)

    # -- lost-notice transitions ------------------------------------------------------------------
    def _move(self, filing_id: str, target: str, actor: str, kind: str, reason: str | None = None,
              after: Callable[[Session, Filing, datetime], object] | None = None) -> FilingView:
        actor = _clean(actor, "actor")

        def attempt(session: Session) -> FilingView:
            row = self._locked(session, filing_id)
            if row.kind != kind:
                raise WrongKind(row.status, target, f"{row.id} is a {row.kind}, not a {kind}")
            if not st.can_move(row.kind, row.status, target):
                raise InvalidTransition(
                    row.status, target, f"{row.id}: illegal transition {row.status!r} -> {target!r}",
                    f"该办件当前状态为“{st.status_label(row.status)}”，不能改为“{st.status_label(target)}”。")
            now = self._now()
            session.add(Transition(filing_id=row.id, item=None, from_status=row.status, to_status=target,
                                   actor=actor, at=now, note=reason or ""))
            row.status = target
            row.updated_at = now
            if reason is not None:
                row.reason = reason
            if after is not None:
                after(session, row, now)
            session.flush()
            return filing_view(session, row)

        return self._write(attempt)

    def approve(self, filing_id: str, actor: str) -> FilingView:
        """Lost notice: submitted -> approved."""
        return self._move(filing_id, st.APPROVED, actor, st.LOST_NOTICE)

    def reject(self, filing_id: str, actor: str, reason: str, fix_fields: Sequence[str] = ()) -> FilingView:
        """Lost notice: submitted/approved -> rejected, with the reason shown to the applicant.

        `fix_fields`: the submitted fields the applicant must correct (keys of `FilingView.data`); a
        resubmission asks for them again and keeps the other answers.
        """
        reason = _clean(reason, "reason", 1000)
        wanted = list(dict.fromkeys(f.strip() for f in fix_fields if f and f.strip()))

        def mark(session: Session, row: Filing, now: datetime) -> None:
            unknown = [f for f in wanted if f not in row.data]
            if unknown:
                raise InvalidData(f"{row.id} has no fields {unknown}", "要求修改的项目不正确。")
            row.fix_fields = wanted or None

        return self._move(filing_id, st.REJECTED, actor, st.LOST_NOTICE, reason=reason, after=mark)

    def publish(self, filing_id: str, actor: str) -> FilingView:
        """Lost notice: approved -> published; assigns the notice number and publish date (today)."""
        return self._move(filing_id, st.PUBLISHED, actor, st.LOST_NOTICE,
                          after=lambda s, row, now: notices.publish_notice(s, row, beijing_date(now)))

    def reissue(self, filing_id: str, actor: str) -> FilingView:
        """Lost notice: published -> reissued (the license was issued again); the notice stays public."""
        return self._move(filing_id, st.REISSUED, actor, st.LOST_NOTICE)

    # -- validation transitions -------------------------------------------------------------------
    def decide_item(self, filing_id: str, item: str, decision: str, actor: str, note: str = "") -> FilingView:
        """Move one validation item (review|onsite|rectification|passed|not_passed); the filing follows."""
        actor = _clean(actor, "actor")
        if decision not in st.ITEM_DECISIONS:
            raise InvalidData(f"decision must be one of {', '.join(st.ITEM_DECISIONS)}", "事项结论不正确。")

        def attempt(session: Session) -> FilingView:
            row = self._locked(session, filing_id)
            validations.decide(session, row, item, decision, actor, note or "", self._now())
            return filing_view(session, row)

        return self._write(attempt)

    def decide_items(self, filing_id: str, decisions: Sequence[tuple[str, str, str]], actor: str) -> FilingView:
        """Several item decisions `(item, decision, note)` at once, in one transaction (all or none).

        An item still waiting for review is put under review first (both steps recorded).
        """
        actor = _clean(actor, "actor")
        if not decisions:
            raise InvalidData("no decisions given", "请至少为一个事项选择结论。")
        for _, decision, _ in decisions:
            if decision not in st.ITEM_DECISIONS:
                raise InvalidData(f"decision must be one of {', '.join(st.ITEM_DECISIONS)}", "事项结论不正确。")

        def attempt(session: Session) -> FilingView:
            row = self._locked(session, filing_id)
            validations.decide_many(session, row, decisions, actor, self._now())
            return filing_view(session, row)

        return self._write(attempt)

    def pass_all(self, filing_id: str, actor: str, note: str = "") -> FilingView:
        """Every item without a final decision passes, and the validation is finished (passed when every item
        passed). Both happen in one transaction."""
        actor = _clean(actor, "actor")

        def attempt(session: Session) -> FilingView:
            row = self._locked(session, filing_id)
            validations.pass_all(session, row, actor, note.strip(), self._now())
            return filing_view(session, row)

        return self._write(attempt)

    def finish_validation(self, filing_id: str, actor: str) -> FilingView:
        """Close a validation: passed when every item passed, else not passed; all items must be decided. Its
        result is published (一网公示) in the same transaction."""
        actor = _clean(actor, "actor")

        def attempt(session: Session) -> FilingView:
            row = self._locked(session, filing_id)
            now = self._now()
            validations.finish(session, row, actor, now)
            results.publish(session, row, beijing_date(now), now)
            return filing_view(session, row)

        return self._write(attempt)

    # -- public notices ---------------------------------------------------------------------------
    def search_notices(self, q: str = "", license_type: str = "", number: str = "", page: int = 1,
                       per_page: int = 20, license_types: Iterable[tuple[str, Iterable[str]]] = (),
                       ) -> tuple[list[NoticeView], int]:
        """One page of published notices (newest first) and the total number matching.

        `q` is read by `notice_search.parse_query` (company name in any phrasing, notice number, license number,
        USCC; traditional characters too); a license type it names (from `license_types`: (name, aliases)
        pairs) filters, unless `license_type` is given. `number` must match part of the notice number.
        """
        query = parse_query(q, license_types)
        if license_type.strip():
            query = replace(query, license_type=license_type.strip())
        return self.find_notices(query, number, page, per_page)

    def find_notices(self, query: NoticeQuery, number: str = "", page: int = 1,
                     per_page: int = 20) -> tuple[list[NoticeView], int]:
        """One page of the notices matching an already parsed query, and the total number matching."""
        def read(session: Session) -> tuple[list[NoticeView], int]:
            rows, total = notices.search(session, query, number, page, per_page)
            return [notice_view(r, self.public_base_url) for r in rows], total

        return self._read(read)

    def same_license(self, uscc: str, license_type: str, exclude: str | None = None,
                     limit: int = 20) -> list[FilingView]:
        """Lost notices of this USCC and license type under review or published (not reissued), oldest first, at
        most `limit`: pointed out to an applicant filing again and flagged to the reviewer."""
        return self._read(lambda s: [filing_view(s, r)
                                     for r in notices.same_license(s, uscc, license_type, exclude, limit)])

    def notice(self, number: str) -> NoticeView | None:
        """The published notice with this number, or None."""
        def read(session: Session) -> NoticeView | None:
            row = notices.find(session, number)
            return notice_view(row, self.public_base_url) if row is not None else None

        return self._read(read)
