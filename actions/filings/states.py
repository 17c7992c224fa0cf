"""The two state machines (lost notices, medical validations, validation items) and their Chinese labels."""

from __future__ import annotations

import re
from collections.abc import Iterable

LOST_NOTICE = "lost_notice"
MEDICAL_VALIDATION = "medical_validation"
KINDS = (LOST_NOTICE, MEDICAL_VALIDATION)
ID_PREFIX = {LOST_NOTICE: "LN", MEDICAL_VALIDATION: "MV"}

SUBMITTED = "submitted"
# lost notice
APPROVED = "approved"
PUBLISHED = "published"
REISSUED = "reissued"
REJECTED = "rejected"
# medical validation (whole filing)
IN_REVIEW = "in_review"
ONSITE = "onsite"
RECTIFICATION = "rectification"
PASSED = "passed"
NOT_PASSED = "not_passed"
# validation items
PENDING = "pending"
REVIEW = "review"

TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    LOST_NOTICE: {
        SUBMITTED: frozenset({APPROVED, REJECTED}),
        APPROVED: frozenset({PUBLISHED, REJECTED}),
        PUBLISHED: frozenset({REISSUED}),
    },
    MEDICAL_VALIDATION: {
        SUBMITTED: frozenset({IN_REVIEW}),
        IN_REVIEW: frozenset({ONSITE, RECTIFICATION, PASSED, NOT_PASSED}),
        ONSITE: frozenset({IN_REVIEW, RECTIFICATION, PASSED, NOT_PASSED}),
        RECTIFICATION: frozenset({IN_REVIEW, ONSITE, PASSED, NOT_PASSED}),
    },
}

ITEM_DECISIONS = (REVIEW, ONSITE, RECTIFICATION, PASSED, NOT_PASSED)
ITEM_TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({REVIEW}),
    REVIEW: frozenset({ONSITE, RECTIFICATION, PASSED, NOT_PASSED}),
    ONSITE: frozenset({RECTIFICATION, PASSED, NOT_PASSED}),
    RECTIFICATION: frozenset({REVIEW, ONSITE, PASSED, NOT_PASSED}),
}
ITEM_FINAL = frozenset({PASSED, NOT_PASSED})
FINAL = frozenset({REISSUED, REJECTED, PASSED, NOT_PASSED})
RESUBMITTABLE = frozenset({REJECTED, NOT_PASSED})  # a new filing may correct one of these (linked to it)
# How a status looks to the applicant (the colour of its card): done, under way, needs them, refused.
TONES: dict[str, str] = {
    SUBMITTED: "info", APPROVED: "info", IN_REVIEW: "info", ONSITE: "info",
    PUBLISHED: "ok", REISSUED: "ok", PASSED: "ok",
    RECTIFICATION: "warn",
    REJECTED: "bad", NOT_PASSED: "bad",
}

STATUS_LABELS: dict[str, str] = {
    SUBMITTED: "已提交，待审核",
    APPROVED: "审核通过，待刊登遗失公告",
    PUBLISHED: "遗失公告已刊登，可申请补发",
    REISSUED: "证照已补发，已办结",
    REJECTED: "审核未通过",
    IN_REVIEW: "材料审查中",
    ONSITE: "现场核查中",
    RECTIFICATION: "整改中",
    PASSED: "校验通过，已办结",
    NOT_PASSED: "校验未通过",
}
ITEM_LABELS: dict[str, str] = {
    PENDING: "待审查",
    REVIEW: "审查中",
    ONSITE: "现场核查",
    RECTIFICATION: "整改中",
    PASSED: "通过",
    NOT_PASSED: "不通过",
}
KIND_LABELS = {LOST_NOTICE: "证照遗失公告", MEDICAL_VALIDATION: "医疗机构校验"}
FIELD_LABELS: dict[str, str] = {  # the submitted fields (FilingView.data keys)
    "company_name": "单位名称", "uscc": "统一社会信用代码", "license_type": "许可证种类", "license_number": "许可证编号",
    "lost_copy": "遗失证照", "lost_date": "遗失日期", "circumstances": "遗失情况", "contact_name": "联系人",
    "contact_phone": "联系电话",
    "institution_name": "机构名称", "registration_number": "登记号", "items": "校验项目",
    "license_valid_until": "执业许可证有效期至",
}


def can_move(kind: str, current: str, target: str) -> bool:
    """Whether a filing of `kind` may go from `current` to `target`."""
    return target in TRANSITIONS.get(kind, {}).get(current, frozenset())


def can_move_item(current: str, target: str) -> bool:
    """Whether a validation item may go from `current` to `target`."""
    return target in ITEM_TRANSITIONS.get(current, frozenset())


def overall_from_items(states: Iterable[str]) -> str:
    """The validation's status while it runs: the stage of the item needing most work."""
    states = list(states)
    if RECTIFICATION in states:
        return RECTIFICATION
    if ONSITE in states:
        return ONSITE
    if all(s == PENDING for s in states):
        return SUBMITTED
    return IN_REVIEW


def finish_target(states: Iterable[str]) -> str:
    """The final status a validation gets from its item decisions."""
    return PASSED if all(s == PASSED for s in states) else NOT_PASSED


def status_label(status: str, reason: str | None = None) -> str:
    """The Chinese label of a status (with the rejection reason when one is given)."""
    label = STATUS_LABELS.get(status, status)
    return f"{label}：{reason}" if reason and status == REJECTED else label


_CODED_NOTE = re.compile(r"^(?P<item>.+?)\s*[:：]\s*(?P<state>" + "|".join(ITEM_LABELS) + r")$")


def history_note(note: str) -> str:
    """A transition's note as staff read it: "放射诊疗许可证: rectification" (older records) → "放射诊疗许可证：整改中"."""
    m = _CODED_NOTE.match(note or "")
    return f"{m.group('item')}：{ITEM_LABELS[m.group('state')]}" if m else (note or "")


def item_note(item: str, state: str) -> str:
    """The note of a filing-level transition caused by one item's decision."""
    return f"{item}：{ITEM_LABELS.get(state, state)}"
