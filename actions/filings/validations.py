"""Medical-validation steps inside a transaction: per-item decisions and finishing the filing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.filings import states as st
from actions.filings.errors import InvalidTransition, ItemsUndecided, UnknownItem, WrongKind
from actions.filings.tables import Filing, FilingItem, Transition


def _items(session: Session, filing_id: str) -> list[FilingItem]:
    return list(session.scalars(select(FilingItem).where(FilingItem.filing_id == filing_id).order_by(FilingItem.position)))


def decide(session: Session, row: Filing, item: str, decision: str, actor: str, note: str, now: datetime,
           walk: bool = False) -> None:
    """Move one item to `decision`; the filing's status follows the item needing most work.

    With `walk`, an item not yet under review is first put under review (both steps recorded), so that a
    reviewer can decide a fresh item in one go.
    """
    if row.kind != st.MEDICAL_VALIDATION:
        raise WrongKind(row.status, decision, f"{row.id} is a {row.kind}; items belong to validations")
    if row.status in st.FINAL:
        raise InvalidTransition(row.status, decision, f"{row.id} is finished ({row.status})",
                                "该校验已办结，不能再更改事项结论。")
    it = session.get(FilingItem, (row.id, item.strip()))
    if it is None:
        raise UnknownItem(f"{row.id} has no item {item!r}", f"该办件没有“{item}”这一校验事项。")
    if walk and it.state == st.PENDING and decision != st.REVIEW:
        _step(session, row, it, st.REVIEW, actor, "", now)
    if not st.can_move_item(it.state, decision):
        raise InvalidTransition(
            it.state, decision, f"{row.id} item {it.name!r}: illegal transition {it.state!r} -> {decision!r}",
            f"事项“{it.name}”当前为“{st.ITEM_LABELS[it.state]}”，不能改为“{st.ITEM_LABELS[decision]}”。")
    _step(session, row, it, decision, actor, note, now)


def _step(session: Session, row: Filing, it: FilingItem, decision: str, actor: str, note: str, now: datetime) -> None:
    session.add(Transition(filing_id=row.id, item=it.name, from_status=it.state, to_status=decision,
                           actor=actor, at=now, note=note))
    it.state, it.note, it.updated_at = decision, note, now
    session.flush()
    overall = st.overall_from_items(i.state for i in _items(session, row.id))
    if overall != row.status:
        session.add(Transition(filing_id=row.id, item=None, from_status=row.status, to_status=overall,
                               actor=actor, at=now, note=st.item_note(it.name, decision)))
        row.status, row.updated_at = overall, now
    session.flush()


def decide_many(session: Session, row: Filing, decisions: Sequence[tuple[str, str, str]], actor: str,
                now: datetime) -> None:
    """Several `(item, decision, note)` decisions, each walked through review when the item is fresh."""
    for item, decision, note in decisions:
        decide(session, row, item, decision, actor, (note or "").strip(), now, walk=True)


def pass_all(session: Session, row: Filing, actor: str, note: str, now: datetime) -> None:
    """Every item without a final decision passes; then the validation is finished."""
    if row.kind != st.MEDICAL_VALIDATION:
        raise WrongKind(row.status, st.PASSED, f"{row.id} is a {row.kind}")
    for item in open_items(session, row):
        decide(session, row, item, st.PASSED, actor, note, now, walk=True)
    finish(session, row, actor, now)


def open_items(session: Session, row: Filing) -> list[str]:
    """The items without a final decision, in their order."""
    return [i.name for i in _items(session, row.id) if i.state not in st.ITEM_FINAL]


def finish(session: Session, row: Filing, actor: str, now: datetime) -> None:
    """Close the validation: passed when every item passed, else not passed; every item must be decided."""
    items = _items(session, row.id)
    target = st.finish_target(i.state for i in items)
    if row.kind != st.MEDICAL_VALIDATION:
        raise WrongKind(row.status, target, f"{row.id} is a {row.kind}")
    open_items = [i.name for i in items if i.state not in st.ITEM_FINAL]
    if open_items:
        raise ItemsUndecided(row.status, target, f"{row.id}: undecided items {open_items}",
                             f"以下事项尚未作出结论：{'、'.join(open_items)}。")
    if not st.can_move(row.kind, row.status, target):
        raise InvalidTransition(row.status, target, f"{row.id}: illegal transition {row.status!r} -> {target!r}",
                                f"该办件当前状态为“{st.status_label(row.status)}”，不能办结。")
    session.add(Transition(filing_id=row.id, item=None, from_status=row.status, to_status=target, actor=actor,
                           at=now, note=""))
    row.status, row.updated_at = target, now
    session.flush()
