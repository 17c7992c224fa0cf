"""What a form field is, as the NLU needs to know it: the kind of value it takes and the words that name it.

The forms themselves are declared in `actions/forms` (which owns the filings); they describe each field to the
NLU with a `FieldCue`, so that `nlu.form_reply` can read a reply without knowing any form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FieldKind(StrEnum):
    """The kind of value a field takes (decides how a value is found in a message)."""

    ORG = "org"  # a company or institution name
    USCC = "uscc"  # 统一社会信用代码
    LICENSE_TYPE = "license_type"  # one license type of the knowledge base
    LICENSE_NUMBER = "license_number"
    PAST_DATE = "past_date"  # a day not after today (遗失日期)
    FUTURE_DATE = "future_date"  # a day that is normally ahead (有效期至)
    TEXT = "text"  # free text (遗失情况)
    PERSON = "person"  # a person's name
    PHONE = "phone"
    REGISTRATION = "registration"  # 医疗机构登记号
    ITEMS = "items"  # several validation items of the knowledge base
    FILING_ID = "filing_id"
    LAST4 = "last4"  # a phone's last four digits
    QUERY = "query"  # search words
    CHOICE = "choice"  # one of a few words offered as buttons (正本 / 副本 / 正副本); the reply itself is read


@dataclass(frozen=True)
class FieldCue:
    """One field of a form, described for reading replies."""

    slot: str
    label: str  # its Chinese name (read-backs, reports)
    kind: FieldKind
    keywords: tuple[str, ...] = ()  # how people name the field ("电话", "公司名称")
    strong: bool = False  # a value of it may be taken while another field is asked


@dataclass(frozen=True)
class FormContext:
    """The form being filled: its fields in order, the one asked, and the values given so far."""

    form: str
    label: str  # what the user is doing, in Chinese ("许可证遗失公告登记")
    fields: tuple[FieldCue, ...]
    asked: str | None
    filled: Mapping[str, Any] = field(default_factory=dict)
    other_forms: tuple[str, ...] = ()  # intents that start the other forms (a switch)

    def cue(self, slot: str | None) -> FieldCue | None:
        """The field named `slot`."""
        return next((f for f in self.fields if f.slot == slot), None)

    def of_kind(self, *kinds: FieldKind) -> list[FieldCue]:
        """The fields of some kinds, in form order."""
        return [f for f in self.fields if f.kind in kinds]
