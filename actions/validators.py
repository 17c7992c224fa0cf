"""Pure checks of form answers: each returns the canonical value or the name of the re-ask response."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from knowledge.models import NamedKind
from nlu import numbers, references
from nlu.entities import extract_date
from nlu.normalize import normalize
from nlu.uscc import is_valid as uscc_valid
from nlu.uscc import shape_ok as uscc_shape_ok


@dataclass(frozen=True)
class Check:
    """The result of checking one answer: `value` when accepted, else `error` (a response name)."""

    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the answer was accepted."""
        return self.error is None


def clean(value: Any) -> str:
    """NFKC-folded, trimmed text with inner runs of white space collapsed."""
    text = unicodedata.normalize("NFKC", str(value if value is not None else ""))
    return re.sub(r"\s+", " ", text).strip().strip("。.，,；;")


def _answer(value: Any) -> str:
    """The answer as typed, trimmed like `clean` at its ends (no folding: nlu/numbers.py folds character by
    character, exactly as the masking does)."""
    return str(value if value is not None else "").strip().strip("。.，,；;").strip()


_HAN = re.compile(r"[\u4e00-\u9fff]")
_PUNCT_ONLY = re.compile(r"^[\W\d_]+$")


def check_org_name(value: Any, error: str) -> Check:
    """A company or institution name: 4-60 characters with at least two Chinese characters or letters."""
    text = clean(value)
    letters = len(_HAN.findall(text)) + len(re.findall(r"[A-Za-z]", text))
    if not 4 <= len(text) <= 60 or letters < 2 or _PUNCT_ONLY.match(text):
        return Check(error=error)
    return Check(text)


def check_uscc(value: Any) -> Check:
    """统一社会信用代码: 18 characters of the GB 32100 alphabet with a correct check digit (written in groups too:
    nlu/numbers.py, which the masking of personal data uses as well)."""
    found = numbers.whole_code(_answer(value))
    if found is not None and uscc_shape_ok(found) and uscc_valid(found):
        return Check(found)  # accepted only as the reader finds it: what is accepted is masked too
    code = found or re.sub(r"[\s-]", "", clean(value)).upper()
    if uscc_shape_ok(code) and not uscc_valid(code):
        return Check(error="utter_invalid_uscc_check_digit")
    return Check(error="utter_invalid_uscc_format")


def _folded(text: str) -> str:
    return normalize(text).text.replace(" ", "")


def resolve_kinds(value: Any, kinds: Sequence[NamedKind]) -> list[str]:
    """Canonical names of every kind named (by name or alias) in `value`, in text order, longest match first."""
    text = _folded(clean(value))
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    terms = sorted(((_folded(t), k.name) for k in kinds for t in [k.name, *k.aliases]), key=lambda x: -len(x[0]))
    for term, name in terms:
        if not term:
            continue
        start = text.find(term)
        while start >= 0:
            end = start + len(term)
            if not any(start < te and ts < end for ts, te in taken):
                taken.append((start, end))
                found.append((start, name))
            start = text.find(term, end)
    names: list[str] = []
    for _, name in sorted(found):
        if name not in names:
            names.append(name)
    return names


def check_license_type(value: Any, kinds: Sequence[NamedKind]) -> Check:
    """One license type of the knowledge base's list (aliases accepted)."""
    names = resolve_kinds(value, kinds)
    return Check(names[0]) if names else Check(error="utter_invalid_license_type")


def check_license_number(value: Any, kinds: Sequence[NamedKind], license_type: str | None) -> Check:
    """The license's own number pattern when the knowledge base has one, else a generic shape."""
    text = re.sub(r"\s", "", clean(value))
    kind = next((k for k in kinds if k.name == license_type), None)
    if kind is not None and kind.number_pattern:
        for candidate in (text, text.upper()):
            if re.fullmatch(kind.number_pattern, candidate):
                return Check(candidate)
        return Check(error="utter_invalid_license_number")
    if 6 <= len(text) <= 40 and len(re.findall(r"\d", text)) >= 5 and re.fullmatch(r"[\w()（）〔〕\[\]【】\-]+", text):
        return Check(text.upper() if text.isascii() else text)
    return Check(error="utter_invalid_license_number")


def parse_date(value: Any, today: dt.date) -> dt.date | None:
    """A date from ISO text, 2025年6月1日, 2025/6/1 or relative words (昨天, 上周五)."""
    if isinstance(value, dt.date):
        return value
    text = clean(value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    found = extract_date(normalize(text), today)
    return dt.date.fromisoformat(found[0].value) if found else None


def check_past_date(value: Any, today: dt.date, error: str) -> Check:
    """A date not after today (and not absurdly old)."""
    day = parse_date(value, today)
    if day is None or day > today or day.year < 1950:
        return Check(error=error)
    return Check(day.isoformat())


def check_any_date(value: Any, today: dt.date, error: str) -> Check:
    """Any plausible calendar date (a validity end may lie in the past or the future)."""
    day = parse_date(value, today)
    if day is None or not 1950 <= day.year <= today.year + 50:
        return Check(error=error)
    return Check(day.isoformat())


_NOT_COPY = re.compile(r"(?:不是|并非|没有丢|没丢|没有遗失|未遗失)(?:正副本|正本|副本)")
_BOTH_COPIES = re.compile(r"正副本|正本[和及、与]?副本|副本[和及、与]?正本|都丢|都遗失|全丢|全部|两本|两个都|都没了")


def check_lost_copy(value: Any) -> Check:
    """Which copy of the license was lost: 正本, 副本 or 正副本 (both), from a button or in words."""
    text = _NOT_COPY.sub("", clean(value).replace(" ", ""))
    if text in ("正本", "副本", "正副本"):
        return Check(text)
    original, duplicate = "正本" in text or "原件" in text, "副本" in text
    if _BOTH_COPIES.search(text) or (original and duplicate):
        return Check("正副本")
    if duplicate:
        return Check("副本")
    if original:
        return Check("正本")
    return Check(error="utter_invalid_lost_copy")


def check_text(value: Any, error: str, min_len: int = 4, max_len: int = 500) -> Check:
    """Free text of a reasonable length."""
    text = clean(value)
    if not min_len <= len(text) <= max_len or _PUNCT_ONLY.match(text):
        return Check(error=error)
    return Check(text)


def check_person_name(value: Any) -> Check:
    """A person's name: 2-20 characters, no digits."""
    text = clean(value)
    for lead in ("我叫", "我是", "联系人是", "联系人", "姓名是", "姓名", "叫"):
        if text.startswith(lead) and len(text) > len(lead) + 1:
            text = text[len(lead):].strip()
            break
    text = re.split(r"[,，、;；:：]", text)[0].strip()
    if not 2 <= len(text) <= 20 or re.search(r"\d", text) or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z·• .]+", text):
        return Check(error="utter_invalid_contact_name")
    return Check(text)


_LANDLINE = re.compile(r"(0\d{2,3})-?(\d{7,8})")


def check_phone(value: Any) -> Check:
    """A mainland mobile number (any spelling nlu/numbers.py reads: 1-3-8-…, (138)12345678, +86 (138) 1234-5678,
    ①③⑧…; the masking of personal data reads the same) or a landline with area code (0532-12345678)."""
    mobile = numbers.whole_mobile(_answer(value))  # mobiles only as the reader finds them: masked alike
    if mobile is not None:
        return Check(mobile)
    text = re.sub(r"[\s()（）]", "", clean(value))
    digits = text.replace("-", "")
    m = _LANDLINE.fullmatch(text) or _LANDLINE.fullmatch(digits)
    if m and 10 <= len(m.group(1) + m.group(2)) <= 12:
        return Check(f"{m.group(1)}-{m.group(2)}")
    return Check(error="utter_invalid_contact_phone")


def check_registration_number(value: Any) -> Check:
    """医疗机构登记号: 10-30 letters and digits, mostly digits."""
    text = re.sub(r"[\s-]", "", clean(value)).upper()
    if re.fullmatch(r"[0-9A-Z]{10,30}", text) and len(re.findall(r"\d", text)) >= 6:
        return Check(text)
    return Check(error="utter_invalid_registration_number")


_ALL = re.compile(r"^(全部|都要|全选|所有|都校验|六项都要|全部都要)")


def flat_list(value: Any) -> list[Any]:
    """The values of a list slot: Rasa fills one from a list-valued entity as a list of that list
    (`/inform{"validation_item": [a, b]}` → [[a, b]])."""
    parts = value if isinstance(value, list | tuple) else [value]
    return [x for part in parts for x in (part if isinstance(part, list | tuple) else [part])]


def check_validation_items(value: Any, kinds: Sequence[NamedKind]) -> Check:
    """One or more of the validation items (a list from the multi-select, or typed names/aliases)."""
    names: list[str] = []
    parts: Iterable[Any] = flat_list(value)
    for part in parts:
        if isinstance(part, str) and _ALL.match(clean(part)):
            names = [k.name for k in kinds]
            break
        for name in resolve_kinds(part, kinds):
            if name not in names:
                names.append(name)
    return Check(names) if names else Check(error="utter_invalid_validation_items")


def check_filing_id(value: Any) -> Check:
    """A filing reference (nlu/references.py: LN20250618-7K3QX9, or the older LN20250618001), canonical."""
    text = clean(value)
    found = references.find(text) or references.find(re.sub(r"\s", "", text))
    return Check(found[0][2]) if found else Check(error="utter_invalid_filing_id")


def check_last4(value: Any) -> Check:
    """The last four digits of a phone number (a whole number is cut to its last four)."""
    digits = re.sub(r"\D", "", clean(value))
    if len(digits) == 4 or len(digits) in (11, 12):
        return Check(digits[-4:])
    return Check(error="utter_invalid_phone_last4")
