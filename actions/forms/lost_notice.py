"""The lost-license notice form (许可证遗失公告登记), declared once: fields, questions, checks, read-back."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from actions import validators as v
from actions.filings.states import LOST_NOTICE as LOST_NOTICE_KIND
from actions.filings.types import LostNoticeData
from actions.forms.contact import CONTACT_NAME, CONTACT_PHONE
from actions.forms.spec import CrossCheck, FilingBinding, FormSpec, Offer, SlotContext, SlotSpec
from actions.payloads import button
from actions.validators import Check
from nlu.form_fields import FieldKind

COMMON_TYPES = 4  # the first license types of the knowledge base are offered as buttons


def license_type_offer(ctx: SlotContext) -> Offer:
    """Buttons of the most common license types."""
    return Offer(buttons=tuple(button(k.name, "inform", license_type=k.name)
                               for k in ctx.kb.license_types()[:COMMON_TYPES]))


def _license_type(value: Any, ctx: SlotContext) -> Check:
    check = v.check_license_type(value, ctx.kb.license_types())
    return check if check.ok else replace(check, buttons=license_type_offer(ctx).buttons)


LOST_COPIES = (("正本", "正本"), ("副本", "副本"), ("正副本都遗失了", "正副本"))  # (button title, value)


def lost_copy_offer(ctx: SlotContext) -> Offer:
    """正本 / 副本 / 正副本 as buttons."""
    return Offer(buttons=tuple(button(title, "inform", lost_copy=value) for title, value in LOST_COPIES))


def _lost_copy(value: Any, ctx: SlotContext) -> Check:
    check = v.check_lost_copy(value)
    return check if check.ok else replace(check, buttons=lost_copy_offer(ctx).buttons)


def _license_number(value: Any, ctx: SlotContext) -> Check:
    return v.check_license_number(value, ctx.kb.license_types(), ctx.slots.get("license_type"))


def same_license_filed(ctx: SlotContext) -> Check | None:
    """The same USCC and license type already has a notice under review or published: say so (the reviewer
    sees it on the filing's page too)."""
    if ctx.filings is None:
        return None
    found = ctx.filings.same_license(str(ctx.slots["uscc"]), str(ctx.slots["license_type"]), limit=3)
    if not found:
        return None
    filings = "；".join(f"{f.filing_id}，{f.status_label}" + (f"，公告编号 {f.notice_number}" if f.notice_number else "")
                       for f in found[:3])
    return Check(note="utter_notice_exists", values={
        "company": ctx.slots.get("company_name") or "该单位", "license_type": ctx.slots["license_type"], "filings": filings})


def _a_week_ago(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=7)


LOST_NOTICE = FormSpec(
    key="lost_notice",
    label="许可证遗失公告登记",
    start_intent="start_lost_notice",
    intro=("好的，灵灵帮您登记许可证遗失公告，一共{count}项信息，随时可以说“取消”退出。",
           "没问题，我们开始登记遗失公告，共{count}项信息，中途想退出说“取消”就行。"),
    readback_title="遗失公告登记信息",
    slots=(
        SlotSpec(
            "company_name", "单位名称", FieldKind.ORG,
            ask=("请告诉灵灵遗失许可证的单位全称（与营业执照一致）。", "请问是哪家单位的许可证遗失了？请提供单位全称。"),
            check=lambda value, ctx: v.check_org_name(value, "utter_invalid_company_name"),
            help="单位全称以营业执照上“名称”一栏为准，一字不差地填写即可。手边没有营业执照的，可以在国家企业信用信息公示系统按单位名称查到。",
            keywords=("单位名称", "公司名称", "企业名称", "公司名字", "单位名字", "单位名", "公司名", "名称", "公司", "单位"),
            entity="org_name",
        ),
        SlotSpec(
            "uscc", "统一社会信用代码", FieldKind.USCC,
            ask=("请输入单位的统一社会信用代码（18位，见营业执照）。", "麻烦提供一下单位的统一社会信用代码，共18位数字或大写字母。"),
            check=lambda value, ctx: v.check_uscc(value),
            help="统一社会信用代码印在营业执照上（正本、副本都有），共18位数字和大写字母；也可以在国家企业信用信息公示系统按单位名称查到。",
            keywords=("统一社会信用代码", "社会信用代码", "信用代码", "代码"),
            entity="uscc", strong=True,
        ),
        SlotSpec(
            "license_type", "许可证种类", FieldKind.LICENSE_TYPE,
            ask=("遗失的是哪种许可证？例如：食品经营许可证、劳务派遣经营许可证、出版物经营许可证、高危险性体育项目经营许可证。",
                 "请问丢的是什么许可证？请告诉灵灵许可证名称。"),
            check=_license_type,
            help="就是丢失的那本许可证的名称，印在证书最上方。可以登记的许可证有：{options}。",
            keywords=("许可证种类", "许可证类型", "证件类型", "证件种类", "许可证名称", "种类", "类型"),
            entity="license_type", strong=True, offer=license_type_offer,
            options=lambda kb: [k.name for k in kb.license_types()],
        ),
        SlotSpec(
            "license_number", "许可证编号", FieldKind.LICENSE_NUMBER,
            ask=("请提供遗失许可证的证号（编号），如不记得可以先查看复印件或电子证照。",
                 "许可证编号是多少呢？例如食品经营许可证的“JY”开头编号。"),
            check=_license_number,
            help="许可证编号印在许可证正本和副本上。正副本都丢了的话，可以查看复印件、电子证照，或向发证部门查询后再填。",
            keywords=("许可证编号", "许可证号", "证号", "编号"),
            entity="license_number", strong=True,
        ),
        SlotSpec(
            "lost_copy", "遗失证照", FieldKind.CHOICE,
            ask=("遗失的是许可证的正本、副本，还是正本和副本都遗失了？公告会写明这一点。",),
            check=_lost_copy,
            help="许可证分正本和副本，公告要写明遗失的是哪一本：只丢了正本说“正本”，只丢了副本说“副本”，两本都丢了说“正副本”。",
            keywords=("正本还是副本", "正本副本", "正副本", "遗失证照"),
            offer=lost_copy_offer,
        ),  # the notice states it
        SlotSpec(
            "lost_date", "遗失日期", FieldKind.PAST_DATE,
            ask=("许可证大约是哪天遗失的？例如“{example}”或“昨天”。", "请告诉灵灵遗失日期（大概日期也可以）。"),
            check=lambda value, ctx: v.check_past_date(value, ctx.today, "utter_invalid_lost_date"),
            help="记不清具体哪天也没关系，说个大概就行，例如“上个月中旬”“上周五”。",
            keywords=("遗失日期", "丢失日期", "遗失时间", "丢失时间", "日期", "时间"),
            entity="date", example=_a_week_ago,
        ),
        SlotSpec(
            "circumstances", "遗失情况", FieldKind.TEXT,
            ask=("请简单说明遗失情况，例如在什么情况下、什么地方丢失的。",
                 "麻烦描述一下遗失经过（如“搬迁办公场所时遗失”），一两句话即可。"),
            check=lambda value, ctx: v.check_text(value, "utter_invalid_circumstances"),
            help="一两句话说明大概在什么情况下、什么地方丢的即可，例如“搬迁办公场所时遗失”。",
            keywords=("遗失情况", "遗失经过", "情况说明", "情况", "经过"),
        ),
        CONTACT_NAME,
        CONTACT_PHONE,
    ),
    submit_action="action_submit_lost_notice",
    resets={"license_type": ("license_number",)},
    cross_checks=(CrossCheck(("uscc", "license_type"), same_license_filed),),
    filing=FilingBinding(
        LOST_NOTICE_KIND, LostNoticeData,
        lambda store, data, key, fixes: store.submit_lost_notice(data, key, actor="applicant",
                                                                resubmission_of=fixes),
    ),
)
