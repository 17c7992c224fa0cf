"""The forms 灵灵 fills: their slots in order, how entities map to slots, and what follows completion."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SlotSpec:
    """One field of a form."""

    name: str
    label: str  # Chinese label for read-backs and corrections
    entity: str | None = None  # NLU entity type that fills it (Rasa from_entity)
    strong: bool = False  # the entity may fill it while another slot is asked
    keywords: tuple[str, ...] = ()  # how users name the field when correcting it
    is_list: bool = False  # multi-valued (validation_items)
    any_text: bool = False  # whatever is typed answers it (a question for staff is never a digression)


@dataclass(frozen=True)
class FormSpec:
    """A form: slots asked in order, then a read-back + confirm (or a direct run) of the submit action."""

    name: str
    label: str  # what the user is doing, in Chinese
    slots: tuple[SlotSpec, ...]
    submit_action: str
    confirm: bool = True
    intro: str | None = None  # response uttered when the form starts
    readback: str | None = None  # response with the read-back text
    resets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # correcting a slot also clears these

    @property
    def validate_action(self) -> str:
        """rasa-sdk FormValidationAction name."""
        return f"validate_{self.name}"

    @property
    def slot_names(self) -> tuple[str, ...]:
        """Required slots in the order they are asked."""
        return tuple(s.name for s in self.slots)

    def slot(self, name: str) -> SlotSpec | None:
        """One slot's spec."""
        return next((s for s in self.slots if s.name == name), None)


_NAME = ("联系人姓名", "联系人", "姓名", "名字")
_PHONE = ("联系电话", "电话号码", "手机号码", "手机号", "电话", "手机", "号码")

LOST_NOTICE = FormSpec(
    name="lost_notice_form",
    label="许可证遗失公告登记",
    slots=(
        SlotSpec("company_name", "单位名称", "org_name", keywords=("单位名称", "公司名称", "企业名称", "单位名", "公司名", "名称", "公司")),
        SlotSpec("uscc", "统一社会信用代码", "uscc", strong=True, keywords=("统一社会信用代码", "社会信用代码", "信用代码", "代码")),
        SlotSpec("license_type", "许可证种类", "license_type", strong=True,
                 keywords=("许可证种类", "许可证类型", "证件类型", "证件种类", "许可证名称", "种类", "类型")),
        SlotSpec("license_number", "许可证编号", "license_number", strong=True, keywords=("许可证编号", "许可证号", "证号", "编号")),
        SlotSpec("lost_copy", "遗失证照", keywords=("正本还是副本", "正本副本", "正副本", "遗失证照")),  # the notice states it
        SlotSpec("lost_date", "遗失日期", "date", keywords=("遗失日期", "丢失日期", "日期", "时间")),
        SlotSpec("circumstances", "遗失情况", keywords=("遗失情况", "遗失经过", "情况说明", "情况", "经过")),
        SlotSpec("contact_name", "联系人", keywords=_NAME),
        SlotSpec("contact_phone", "联系电话", "phone", strong=True, keywords=_PHONE),
    ),
    submit_action="action_submit_lost_notice",
    intro="utter_start_lost_notice",
    readback="utter_confirm_submit_lost_notice",
    resets={"license_type": ("license_number",)},
)

MEDICAL_VALIDATION = FormSpec(
    name="medical_validation_form",
    label="医疗机构校验申请",
    slots=(
        SlotSpec("institution_name", "机构名称", "org_name",
                 keywords=("医疗机构名称", "机构名称", "医院名称", "诊所名称", "机构名", "名称")),
        SlotSpec("registration_number", "登记号", keywords=("登记号", "登记编号", "编号")),
        SlotSpec("validation_items", "校验项目", "validation_item", strong=True, is_list=True,
                 keywords=("校验项目", "校验事项", "项目", "事项")),
        SlotSpec("license_valid_until", "有效期至", "date", keywords=("有效期", "截止日期", "到期日", "日期")),
        SlotSpec("contact_name", "联系人", keywords=_NAME),
        SlotSpec("contact_phone", "联系电话", "phone", strong=True, keywords=_PHONE),
    ),
    submit_action="action_submit_medical_validation",
    intro="utter_start_medical_validation",
    readback="utter_confirm_submit_medical_validation",
)

STATUS = FormSpec(
    name="status_form",
    label="办件进度查询",
    slots=(
        SlotSpec("filing_id", "受理编号", "filing_id", strong=True, keywords=("受理编号", "编号")),
        SlotSpec("phone_last4", "手机号后四位", "phone", strong=True, keywords=("后四位", "尾号", "手机号")),
    ),
    submit_action="action_check_status",
    confirm=False,
)

VALIDATION_DUE = FormSpec(  # 我们的校验什么时候到期: the institution proves who it is (actions/validation_due.py)
    name="validation_due_form",
    label="校验到期查询",
    slots=(
        SlotSpec("registration_number", "登记号", keywords=("登记号", "登记编号")),
        SlotSpec("phone_last4", "联系电话后四位", "phone", strong=True, keywords=("后四位", "尾号", "电话", "手机号")),
    ),
    submit_action="action_validation_due",
    confirm=False,
    intro="utter_start_validation_due",
)

NOTICE_SEARCH = FormSpec(
    name="notice_search_form",
    label="遗失公告查询",
    slots=(SlotSpec("notice_query", "查询关键词"),),  # the whole answer: names, numbers, codes (the action reads it)
    submit_action="action_search_notice",
    confirm=False,
)

HANDOFF = FormSpec(  # 留言: a question and a call-back number for staff (assistant/dialogue/handoff.py opens the ticket)
    name="handoff_form",
    label="给工作人员留言",
    slots=(
        SlotSpec("handoff_question", "留言内容", keywords=("留言内容", "问题", "留言", "内容"), any_text=True),
        SlotSpec("callback_phone", "回电号码", "phone", strong=True, keywords=_PHONE),
    ),
    submit_action="action_leave_message",
    readback="utter_confirm_submit_handoff_form",
)

FORMS: dict[str, FormSpec] = {f.name: f for f in (LOST_NOTICE, MEDICAL_VALIDATION, STATUS, VALIDATION_DUE, NOTICE_SEARCH,
                                                   HANDOFF)}
FILING_FORMS = {"start_lost_notice": LOST_NOTICE, "start_medical_validation": MEDICAL_VALIDATION}
