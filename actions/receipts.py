"""Receipts and status answers of filings: what the status is, and what the applicant does next.

A status answer is one text (every channel shows it) and a `receipt` card (id, status, tone, a short hint):
the rejection reason, the fields to fix, the items in rectification with staff's notes and the notice's
links are said once, in the text. A published notice adds its `notice` card (page and PDF); a rejection
offers 修改后重新提交 (the form again, with the earlier answers filled in).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rasa_sdk.executor import CollectingDispatcher

from actions.common import button
from actions.texts import text

if TYPE_CHECKING:
    from actions.filings import FilingView, NoticeView

KIND_LABELS = {"lost_notice": "许可证遗失公告", "medical_validation": "医疗机构校验"}
START_INTENTS = {"lost_notice": "start_lost_notice", "medical_validation": "start_medical_validation"}
RESUBMIT_TITLE = "修改后重新提交"

_HINTS = {
    ("lost_notice", "submitted"): "工作人员审核通过后会发布电子化遗失公告，可随时查询进度。",
    ("lost_notice", "approved"): "审核已通过，公告即将发布。",
    ("lost_notice", "published"): "公告已发布，可查看、下载公告，并办理补证。",
    ("lost_notice", "reissued"): "许可证已补发，办件已办结。",
    ("lost_notice", "rejected"): "请按驳回原因修改后重新提交。",
    ("medical_validation", "submitted"): "卫健部门将并联审查各校验事项，统一反馈结果。",
    ("medical_validation", "in_review"): "各校验事项正在审查。",
    ("medical_validation", "onsite"): "部分事项需要现场核查，工作人员会与您联系。",
    ("medical_validation", "rectification"): "有事项需要整改，请按工作人员的说明整改。",
    ("medical_validation", "passed"): "校验已通过。",
    ("medical_validation", "not_passed"): "校验未通过，请按各事项的说明整改后重新申请。",
}


def _sentence(text_: str) -> str:
    """Staff's words as one sentence: trailing punctuation unified to one 。."""
    body = text_.strip().rstrip("。.；;，,！!").strip()
    return f"{body}。" if body else ""


def status_hint(view: FilingView) -> str:
    """A short Chinese hint of what happens next (the card's line; the reason is in the text)."""
    hint = _HINTS.get((view.kind, view.status), "如有疑问可咨询窗口工作人员。")
    if view.resubmitted_as:
        return f"已修改后重新提交，新受理编号 {view.resubmitted_as}。"
    if view.kind == "medical_validation" and view.due_date and view.status not in ("passed", "not_passed"):
        hint += f"预计 {view.due_date.isoformat()} 前反馈结果。"
    return hint


def status_details(view: FilingView, field_labels: Mapping[str, str], notice: NoticeView | None = None) -> str:
    """Everything the applicant needs to act on, each said once (lines)."""
    from actions.filings.states import ITEM_LABELS

    lines: list[str] = []
    if view.resubmission_of:
        lines.append(f"这是办件 {view.resubmission_of} 修改后重新提交的申请。")
    if view.status == "rejected":
        if view.reason:
            lines.append(f"驳回原因：{_sentence(view.reason)}")
        if view.fix_fields:
            lines.append("需要修改：" + "、".join(field_labels.get(f, f) for f in view.fix_fields) + "。")
        if view.resubmitted_as:
            lines.append(f"您已修改后重新提交，新受理编号 {view.resubmitted_as}，请查询新办件的进度。")
        elif view.fix_fields:
            lines.append(f"点击“{RESUBMIT_TITLE}”，上次填写的信息会自动带入，只需重新填写上面这几项；"
                         "也可以咨询窗口工作人员。")
        else:
            lines.append(f"点击“{RESUBMIT_TITLE}”，上次填写的信息会自动带入，按驳回原因改正后再提交；"
                         "也可以咨询窗口工作人员。")
    elif view.kind == "medical_validation" and view.items:
        todo = [(i, s) for i, s in view.items.items() if s in ("rectification", "not_passed")]
        if todo:
            title = "需要整改的事项" if view.status != "not_passed" else "未通过的事项"
            lines.append(title + "：")
            for item, _state in todo:
                note = view.item_notes.get(item)
                lines.append(f"· {item}：" + (_sentence(note) if note else "工作人员未填写说明，请咨询卫健窗口。"))
        others = [f"{i}（{ITEM_LABELS.get(s, s)}）" for i, s in view.items.items() if (i, s) not in todo]
        if others and view.status not in ("passed",):
            lines.append("其他事项：" + "、".join(others) + "。")
        lines.append(status_hint(view))
        if view.status == "not_passed" and view.resubmitted_as:
            lines.append(f"您已重新申请，新受理编号 {view.resubmitted_as}。")
    elif view.status == "published" and view.notice_number:
        day = view.published_on.isoformat() if view.published_on else ""
        lines.append(f"遗失公告已发布：公告编号 {view.notice_number}（{day} 发布）。")
        if notice is not None:
            lines.append(f"查看公告：{notice.url}")
            lines.append(f"下载 PDF：{notice.pdf_url}")
        lines.append("公告发布后即可办理补证，补证当场办结。")
    else:
        lines.append(status_hint(view))
    return "\n".join(lines)


def receipt_card(view: FilingView, tone: str | None = None) -> dict[str, Any]:
    """The custom `receipt` card; `tone` (ok / info / warn / bad) colours it (default: the status's)."""
    return {
        "type": "receipt",
        "filing_id": view.filing_id,
        "kind": view.kind,
        "status": view.status,
        "status_label": view.status_label,
        "submitted_at": view.submitted_at.isoformat(),
        "status_hint": status_hint(view),
        "tone": tone or view.tone,
    }


def notice_card(notice: NoticeView) -> dict[str, Any]:
    """The custom `notice` card (the notice's page and PDF)."""
    return {
        "type": "notice", "number": notice.number, "company_name": notice.company_name,
        "license_type": notice.license_type, "published_on": notice.published_on.isoformat(), "url": notice.url,
        "pdf_url": notice.pdf_url,
    }


def utter_receipt(dispatcher: CollectingDispatcher, domain: Mapping[str, Any], view: FilingView) -> None:
    """Confirm a submission: the filing id, where the result goes, and the card."""
    name = "utter_resubmitted" if view.resubmission_of else "utter_submitted"
    msg = text(domain, name, filing_id=view.filing_id, contact_phone=view.contact_phone,
               resubmission_of=view.resubmission_of)
    dispatcher.utter_message(text=msg, json_message=receipt_card(view, tone="ok"))


def resubmit_buttons(view: FilingView) -> list[dict[str, str]]:
    """修改后重新提交, when the filing may be corrected (rejected or not passed, not corrected yet)."""
    from actions.filings.states import RESUBMITTABLE

    if view.status not in RESUBMITTABLE or view.resubmitted_as or view.kind not in START_INTENTS:
        return []
    return [button(RESUBMIT_TITLE, START_INTENTS[view.kind], resubmission_of=view.filing_id)]


def utter_status(dispatcher: CollectingDispatcher, domain: Mapping[str, Any], view: FilingView,
                 field_labels: Mapping[str, str], notice: NoticeView | None = None) -> None:
    """Tell the applicant how far the filing has got and what to do next."""
    msg = text(
        domain, "utter_status", filing_id=view.filing_id, kind_label=KIND_LABELS.get(view.kind, view.kind),
        status_label=view.status_label, status_hint=status_details(view, field_labels, notice),
    )
    dispatcher.utter_message(text=msg, json_message=receipt_card(view), buttons=resubmit_buttons(view))
    if notice is not None:
        line = f"{notice.number}｜{notice.company_name}｜{notice.license_type}｜{notice.published_on.isoformat()} 发布"
        dispatcher.utter_message(text=line, json_message=notice_card(notice))
