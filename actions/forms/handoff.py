"""The 留言 form: a question and a call-back number for staff (the dialogue opens the ticket:
assistant/dialogue/handoff.py `action_leave_message`)."""

from __future__ import annotations

from typing import Any

from actions import validators as v
from actions.forms.contact import PHONE_WORDS
from actions.forms.spec import FormSpec, SlotContext, SlotSpec
from actions.validators import Check
from nlu.form_fields import FieldKind


def _question(value: Any, ctx: SlotContext) -> Check:
    """A question of a few words at least; staff read the words as typed (full-width punctuation kept)."""
    check = v.check_text(value, "utter_invalid_handoff_question", min_len=4, max_len=500)
    return Check(" ".join(str(value).split())) if check.ok else check


HANDOFF = FormSpec(
    key="handoff",
    label="给工作人员留言",
    start_intent="leave_message",
    readback_title="您的留言",
    slots=(
        SlotSpec(
            "handoff_question", "留言内容", FieldKind.TEXT,
            ask=("请写下您想咨询的问题或需要帮忙的事情。工作人员还能看到您和灵灵刚才的对话。",),
            check=_question,
            keywords=("留言内容", "问题", "留言", "内容"),
            any_text=True,
        ),
        SlotSpec(
            "callback_phone", "回电号码", FieldKind.PHONE,
            ask=("请留下方便联系您的手机号或座机号（座机请带区号），工作人员可能会打电话答复您。",),
            check=lambda value, ctx: v.check_phone(value),
            keywords=PHONE_WORDS, entity="phone", strong=True,
        ),
    ),
    submit_action="action_leave_message",
)
