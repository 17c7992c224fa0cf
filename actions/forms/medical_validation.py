"""The medical-institution validation form (医疗机构校验申请), declared once: fields, questions, checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from actions import validators as v
from actions.filings.states import MEDICAL_VALIDATION as MEDICAL_VALIDATION_KIND
from actions.filings.types import ValidationData
from actions.forms.contact import CONTACT_NAME, CONTACT_PHONE
from actions.forms.spec import FilingBinding, FormSpec, Offer, SlotContext, SlotSpec
from actions.validators import Check
from nlu.form_fields import FieldKind


def items_offer(ctx: SlotContext) -> Offer:
    """The custom `multi_select` card of the validation items; the client answers
    /inform{"validation_item": [...]} (the entity a Rasa domain declares; the slot's name is read too)."""
    return Offer(custom={
        "type": "multi_select",
        "slot": "validation_items",
        "entity": "validation_item",
        "options": [{"title": k.name, "value": k.name} for k in ctx.kb.validation_items()],
        "min": 1,
    })


def _items(value: Any, ctx: SlotContext) -> Check:
    check = v.check_validation_items(value, ctx.kb.validation_items())
    return check if check.ok else replace(check, custom=items_offer(ctx).custom)


def _three_months_ahead(today: dt.date) -> dt.date:
    """An example validity end: the last day of the third month ahead (always in the future)."""
    month = today.month + 4
    first_after = dt.date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    return first_after - dt.timedelta(days=1)


REGISTRATION_NUMBER = SlotSpec(
    "registration_number", "登记号", FieldKind.REGISTRATION,
    ask=("请输入医疗机构的登记号（见《医疗机构执业许可证》）。", "麻烦提供一下医疗机构执业许可证上的登记号。"),
    check=lambda value, ctx: v.check_registration_number(value),
    help="登记号印在《医疗机构执业许可证》正本和副本上“登记号”一栏，是一长串数字和字母；"
         "也可以登录医疗机构电子化注册系统，在本机构的信息里查看。",
    keywords=("登记号", "登记编号", "编号"),
)  # also the validation-due lookup's


MEDICAL_VALIDATION = FormSpec(
    key="medical_validation",
    label="医疗机构校验申请",
    start_intent="start_medical_validation",
    intro=("好的，灵灵帮您申请医疗机构校验，一共{count}项信息，随时可以说“取消”退出。",
           "没问题，我们开始填写医疗机构校验申请，共{count}项信息，中途想退出说“取消”就行。"),
    readback_title="医疗机构校验申请信息",
    slots=(
        SlotSpec(
            "institution_name", "机构名称", FieldKind.ORG,
            ask=("请提供申请校验的医疗机构名称（与执业许可证一致）。", "请问是哪家医疗机构申请校验？请告诉灵灵机构全称。"),
            check=lambda value, ctx: v.check_org_name(value, "utter_invalid_institution_name"),
            help="机构名称以《医疗机构执业许可证》上的“机构名称”为准，一字不差地填写即可。",
            keywords=("医疗机构名称", "机构名称", "医院名称", "诊所名称", "机构名字", "机构名", "名称"),
            entity="org_name",
        ),
        REGISTRATION_NUMBER,
        SlotSpec(
            "validation_items", "校验项目", FieldKind.ITEMS,
            ask=("这次要校验哪些项目？例如：医疗机构执业许可证、放射诊疗许可证、母婴保健技术服务执业许可证，可多选。",
                 "请告诉灵灵需要校验的许可证项目，多项可以一起申报，用顿号隔开即可。"),
            check=_items,
            help="可以一起申报的校验项目有：{options}。按贵机构持有、且到了校验期的证选择即可，可以说“全部”或“除了某项都要”。",
            keywords=("校验项目", "校验事项", "项目", "事项"),
            entity="validation_item", strong=True, offer=items_offer, field="items",
            options=lambda kb: [k.name for k in kb.validation_items()],
        ),
        SlotSpec(
            "license_valid_until", "有效期至", FieldKind.FUTURE_DATE,
            ask=("执业许可证的有效期（或校验期）到哪天？例如“{example}”。", "请提供许可证有效期截止日期，灵灵会据此确认是否到了校验期。"),
            check=lambda value, ctx: v.check_validity_end(value, ctx.today, "utter_invalid_license_valid_until"),
            help="有效期（校验期）印在《医疗机构执业许可证》上“有效期限”一栏，填截止的那一天即可。",
            keywords=("有效期", "截止日期", "到期日", "到期时间", "日期"),
            entity="date", example=_three_months_ahead,
        ),
        CONTACT_NAME,
        CONTACT_PHONE,
    ),
    submit_action="action_submit_medical_validation",
    filing=FilingBinding(
        MEDICAL_VALIDATION_KIND, ValidationData,
        lambda store, data, key, fixes: store.submit_validation(data, key, actor="applicant",
                                                                resubmission_of=fixes),
    ),
)
