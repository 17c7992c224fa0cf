"""Receipts and status cards of filings (custom `receipt`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rasa_sdk.executor import CollectingDispatcher

from actions.texts import text

if TYPE_CHECKING:
    from actions.filings import FilingView

KIND_LABELS = {"lost_notice": "许可证遗失公告", "medical_validation": "医疗机构校验"}

_HINTS = {
    ("lost_notice", "submitted"): "工作人员审核通过后会发布电子化遗失公告，可随时查询进度。",
    ("lost_notice", "approved"): "审核已通过，公告即将发布。",
    ("lost_notice", "published"): "公告已发布，可在遗失公告栏查询和下载。",
    ("lost_notice", "rejected"): "申请未通过，请按原因补正后重新提交，或咨询窗口工作人员。",
    ("medical_validation", "submitted"): "卫健部门将并联审查各校验事项，统一反馈结果。",
    ("medical_validation", "passed"): "校验已通过。",
    ("medical_validation", "not_passed"): "校验未通过，请联系卫健窗口了解整改要求。",
}


def status_hint(view: FilingView) -> str:
    """A short Chinese hint of what happens next."""
    hint = _HINTS.get((view.kind, view.status), "如有疑问可咨询窗口工作人员。")
    if view.kind == "medical_validation" and view.due_date and view.status not in ("passed", "not_passed"):
        hint += f"预计 {view.due_date.isoformat()} 前反馈结果。"
    if view.notice_number:
        hint += f"公告编号：{view.notice_number}。"
    if view.reason:
        hint += f"原因：{view.reason}。"
    return hint


def receipt_card(view: FilingView) -> dict[str, Any]:
    """The custom `receipt` card."""
    return {
        "type": "receipt",
        "filing_id": view.filing_id,
        "kind": view.kind,
        "status": view.status,
        "status_label": view.status_label,
        "submitted_at": view.submitted_at.isoformat(),
        "status_hint": status_hint(view),
    }


def utter_receipt(dispatcher: CollectingDispatcher, domain: Mapping[str, Any], view: FilingView) -> None:
    """Confirm a submission: the filing id, where the result goes, and the card."""
    msg = text(domain, "utter_submitted", filing_id=view.filing_id, contact_phone=view.contact_phone)
    dispatcher.utter_message(text=msg, json_message=receipt_card(view))


def utter_status(dispatcher: CollectingDispatcher, domain: Mapping[str, Any], view: FilingView) -> None:
    """Tell the applicant how far the filing has got."""
    msg = text(
        domain, "utter_status", filing_id=view.filing_id, kind_label=KIND_LABELS.get(view.kind, view.kind),
        status_label=view.status_label, status_hint=status_hint(view),
    )
    dispatcher.utter_message(text=msg, json_message=receipt_card(view))
