"""The contact fields every filing form ends with."""

from __future__ import annotations

from actions import validators as v
from actions.forms.spec import SlotSpec
from nlu.form_fields import FieldKind

PHONE_WORDS = ("联系电话", "电话号码", "手机号码", "手机号", "电话", "手机", "号码")

CONTACT_NAME = SlotSpec(
    "contact_name", "联系人", FieldKind.PERSON,
    ask=("请问联系人怎么称呼？请提供联系人姓名。", "请留下联系人姓名，方便工作人员与您联系。"),
    check=lambda value, ctx: v.check_person_name(value),
    help="填负责办理这件事、方便接听电话的人的全名，工作人员有问题会找这位联系人。",
    keywords=("联系人姓名", "联系人", "姓名", "名字"),
)

CONTACT_PHONE = SlotSpec(
    "contact_phone", "联系电话", FieldKind.PHONE,
    ask=("请留一个联系电话（手机号或 0532 开头的座机）。", "联系电话是多少呢？审核结果会通过这个号码通知您。"),
    check=lambda value, ctx: v.check_phone(value),
    help="手机号或带区号的座机都可以（如 0532-12345678）。这个电话用于工作人员联系您、通知审核结果。",
    keywords=PHONE_WORDS,
    entity="phone", strong=True,
)
