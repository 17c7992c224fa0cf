"""Resubmissions: a new filing correcting a rejected (or not passed) one of the same kind, at most once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.filings import states as st
from actions.filings.errors import NotResubmittable
from actions.filings.tables import Filing


def check(session: Session, original: Filing, kind: str) -> None:
    """Raise NotResubmittable unless a `kind` filing may correct `original` (locked by the caller)."""
    if original.kind != kind:
        raise NotResubmittable(f"{original.id} is a {original.kind}, not a {kind}", "原办件与本次申请的类型不同。")
    if original.status not in st.RESUBMITTABLE:
        raise NotResubmittable(f"{original.id} is {original.status}",
                               f"原办件 {original.id} 当前为“{st.status_label(original.status)}”，不需要重新提交。")
    again = session.scalar(select(Filing.id).where(Filing.resubmission_of == original.id))
    if again is not None:
        raise NotResubmittable(f"{original.id} was resubmitted as {again}",
                               f"原办件 {original.id} 已经重新提交过（受理编号 {again}），请查询该办件的进度。")
