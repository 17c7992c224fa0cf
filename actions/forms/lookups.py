"""The lookup forms: one's own filing's progress (办件进度查询), an institution's validation due date (校验到期查询)
and the public notice search."""

from __future__ import annotations

from dataclasses import replace

from actions import validators as v
from actions.forms.medical_validation import REGISTRATION_NUMBER
from actions.forms.spec import FormSpec, SlotSpec
from nlu.form_fields import FieldKind

STATUS = FormSpec(
    key="status",
    label="办件进度查询",
    start_intent="check_status",
    slots=(
        SlotSpec(
            "filing_id", "受理编号", FieldKind.FILING_ID,
            ask=("请提供受理编号（例如 LN20260101-7K3QX9，提交成功时灵灵告诉过您）。",),
            check=lambda value, ctx: v.check_filing_id(value),
            help=("受理编号是提交成功时灵灵给您的编号，LN 或 MV 开头、8 位日期加 6 位字母数字，"
                  "如 LN20260101-7K3QX9。"),
            keywords=("受理编号", "编号"), entity="filing_id", strong=True,
        ),
        SlotSpec(
            "phone_last4", "手机号后四位", FieldKind.LAST4,
            ask=("为保护您的信息，请输入办理时预留手机号的后四位。",),
            check=lambda value, ctx: v.check_last4(value),
            keywords=("后四位", "尾号", "手机号"), entity="phone", strong=True,
        ),
    ),
    submit_action="action_check_status",
    confirm=False,
)

VALIDATION_DUE = FormSpec(  # 我们的校验什么时候到期: the institution proves who it is (actions/validation_due.py)
    key="validation_due",
    label="校验到期查询",
    intro=("好的，灵灵帮您查询贵机构的校验到期日。为保护机构信息，需要核对登记号和机构登记的联系电话后四位。",),
    slots=(
        REGISTRATION_NUMBER,
        replace(STATUS.slots[1], label="联系电话后四位", keywords=("后四位", "尾号", "电话", "手机号")),
    ),
    submit_action="action_validation_due",
    confirm=False,
)  # started by the due question's topic (nlu/topics.py), not by an intent of its own

NOTICE_SEARCH = FormSpec(
    key="notice_search",
    label="遗失公告查询",
    start_intent="search_notice",
    slots=(
        SlotSpec(
            "notice_query", "查询关键词", FieldKind.QUERY,
            ask=("请告诉灵灵要查询的单位名称、许可证种类或公告编号。",),
            check=lambda value, ctx: v.check_text(value, "utter_ask_notice_query", min_len=2, max_len=100),
        ),  # the whole answer, no entity: names, numbers and codes alike (action_search_notice reads it)
    ),
    submit_action="action_search_notice",
    confirm=False,
)
