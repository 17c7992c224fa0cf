"""Entity extraction: dictionaries from the knowledge base plus validated patterns.

Every extractor runs on the normalised text and maps its spans back to the original text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge import clock
from nlu import references
from nlu.normalize import Normalized, fold
from nlu.types import Entity
from nlu.uscc import is_valid as uscc_valid

_USCC = re.compile(r"(?<![0-9a-z])([0-9a-hj-npqrtuwxy]{2}\d{6}[0-9a-hj-npqrtuwxy]{10})(?![0-9a-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
_MOBILE_SPACED = re.compile(r"(?<!\d)(1[3-9]\d)[ -](\d{4})[ -](\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<![\d-])(0\d{2,3}-?\d{7,8})(?![\d-])")
_LICENSE_NO = re.compile(r"(?<![0-9a-z])([a-z]{1,4}\d{8,20}|\d{12,20}[a-z]?)(?![0-9a-z])")
_NUMBER_CUE = re.compile(r"(编号|证号|号码|许可证号|字号|no\.?|第)\s*[:：]?\s*$")
_CUE_WINDOW = 16  # characters before a number that _NUMBER_CUE may need (its longest match is 7)

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"(?:\d{1,2}|[一二两三四五六七八九十]{1,3})"
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "1": 0, "2": 1, "3": 2, "4": 3,
            "5": 4, "6": 5, "7": 6}
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ymd", re.compile(r"(\d{4}|[零〇一二三四五六七八九]{4})\s*年\s*(" + _NUM + r")\s*月\s*(" + _NUM + r")\s*[日号]?")),
    ("iso", re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")),
    ("rel_year_md", re.compile(r"(去年|前年|今年)\s*(" + _NUM + r")\s*月\s*(" + _NUM + r")\s*[日号]?")),
    ("rel_month_d", re.compile(r"(上个?月|这个?月|本月)\s*(" + _NUM + r")\s*[日号]")),
    ("md", re.compile(r"(?<!\d)(" + _NUM + r")\s*月\s*(" + _NUM + r")\s*[日号]")),
    ("week", re.compile(r"(上上|上|这|本|下)\s*(?:个)?\s*(?:周|星期|礼拜)\s*([一二三四五六日天1-7])")),
    ("days_ago", re.compile(r"(" + _NUM + r"|几)\s*天\s*(?:前|以前|之前)")),
    ("word", re.compile(r"(大前天|前天|昨天|昨日|今天|今日|明天|明日|后天)")),
)
_WORD_DAYS = {"大前天": -3, "前天": -2, "昨天": -1, "昨日": -1, "今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}

_ORG_SUFFIX = (
    "股份有限公司|有限责任公司|有限公司|分公司|集团|公司|人民医院|中医院|医院|卫生院|卫生室|卫生服务中心|"
    "社区卫生服务站|门诊部|诊所|医务室|药房|药店|大药房|餐饮店|餐厅|饭店|酒店|宾馆|超市|便利店|书店|书城|"
    "健身房|游泳馆|俱乐部|体育馆|工作室|合作社|事务所|幼儿园|培训学校|学校|商行|经营部|门市部|加工厂|厂|"
    "食品店|烧烤店|面馆|小吃店|火锅店|奶茶店|咖啡馆|中心"
)
# Greedy: the name runs to the LAST suffix of a run of name characters ("海韵书店有限公司", not "海韵书店").
_ORG = re.compile(r"([\u4e00-\u9fffa-z0-9()]{2,30}(?:" + _ORG_SUFFIX + r"))")
_ORG_LEAD = re.compile(
    r"^(?:我们的|我们|咱们|你们|我是|我叫|我在|我想|我要|我|想|要|本单位|单位是|单位|名称是|名称|名字叫|名字是|叫做|叫|是|在|去|到|给|"
    r"帮我查一下|帮我查|查一下|帮我|查询|查|请问|你好|您好|公司名称|机构名称|医院名称|开了|开|办|注册|成立|申请|这家|那家|一家|一个|个|某|的)+"
)
_ORG_GENERIC = {"公司", "医院", "诊所", "中心", "集团", "超市", "药店", "饭店", "餐厅", "学校", "厂", "书店", "有限公司",
                "有限责任公司", "股份有限公司", "分公司", "烧烤店", "服务中心", "卫生服务中心"}
_ORG_BAD_START = re.compile(r"^(?:什么|哪|怎么|如何|这个|那个|个体|小微|中小微|企业|大型|新|开|服务|政务|办事|医疗机构)")


def _cn_int(s: str) -> int:
    """'12' or '十二' or '二〇二五' → int."""
    if s.isdigit():
        return int(s)
    if all(c in _CN_DIGITS for c in s):
        return int("".join(str(_CN_DIGITS[c]) for c in s))
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return int(_CN_DIGITS.get(s, 0))


@dataclass(frozen=True)
class VocabEntry:
    """A canonical name with the surface forms that mean it."""

    canonical: str
    forms: tuple[str, ...]


class DictionaryExtractor:
    """Finds names from a vocabulary (longest match wins, overlaps resolved left to right)."""

    def __init__(self, entity: str, vocab: Iterable[VocabEntry]):
        self.entity = entity
        self._forms: dict[str, str] = {}
        for entry in vocab:
            for form in (entry.canonical, *entry.forms, *self._derived(entry.canonical)):
                key = fold(form)
                if len(key) >= 2:
                    self._forms.setdefault(key, entry.canonical)
        keys = sorted(self._forms, key=len, reverse=True)
        self._re = re.compile("|".join(re.escape(k) for k in keys)) if keys else None

    @staticmethod
    def _derived(name: str) -> list[str]:
        """Tolerant forms: without 证, without 许可证, without 执业/经营 etc."""
        out = []
        if name.endswith("许可证"):
            stem = name[: -len("许可证")]
            out += [stem + "许可", stem + "证"] if len(stem) >= 3 else []
        elif name.endswith("证"):
            out.append(name[:-1])
        return out

    def extract(self, norm: Normalized) -> list[Entity]:
        """Every vocabulary form in the text."""
        if self._re is None:
            return []
        found = []
        for m in self._re.finditer(norm.text):
            s, e = norm.span_to_original(m.start(), m.end())
            found.append(Entity(self.entity, self._forms[m.group(0)], s, e, "dictionary"))
        return found


class Spans:
    """Character positions of a text already claimed by entities: an overlap check costs the length of the
    span asked about, not the number of entities found so far (extraction stays linear in the text length)."""

    def __init__(self, length: int):
        self._used = bytearray(length + 1)

    @classmethod
    def of(cls, length: int, spans: Iterable[tuple[int, int]]) -> Spans:
        out = cls(length)
        for s, e in spans:
            out.take(s, e)
        return out

    @classmethod
    def of_entities(cls, norm: Normalized, entities: Iterable[Entity]) -> Spans:
        return cls.of(len(norm.original), ((e.start, e.end) for e in entities))

    def overlaps(self, start: int, end: int) -> bool:
        return start < end and self._used.find(1, start, end) != -1

    def take(self, start: int, end: int) -> None:
        if start < end:
            self._used[start:end] = b"\x01" * (end - start)

    def take_all(self, entities: Iterable[Entity]) -> None:
        for e in entities:
            self.take(e.start, e.end)


def _span(norm: Normalized, m: re.Match[str], group: int = 0) -> tuple[int, int]:
    return norm.span_to_original(m.start(group), m.end(group))


def extract_uscc(norm: Normalized) -> list[Entity]:
    """统一社会信用代码 with a valid GB 32100-2015 check digit."""
    out = []
    for m in _USCC.finditer(norm.text):
        code = m.group(1).upper()
        if uscc_valid(code):
            out.append(Entity("uscc", code, *_span(norm, m, 1), "uscc_checksum"))
    return out


def extract_phone(norm: Normalized) -> list[Entity]:
    """Mobile numbers (11 digits) and landlines with area code."""
    out = [Entity("phone", m.group(1), *_span(norm, m, 1), "regex") for m in _MOBILE.finditer(norm.text)]
    for m in _MOBILE_SPACED.finditer(norm.text):
        out.append(Entity("phone", "".join(m.groups()), *_span(norm, m), "regex"))
    for m in _LANDLINE.finditer(norm.text):
        if not _MOBILE.fullmatch(m.group(1)):
            out.append(Entity("phone", m.group(1), *_span(norm, m, 1), "regex"))
    return out


def extract_filing_id(norm: Normalized) -> list[Entity]:
    """Filing references (nlu/references.py): LN/MV + date + random part (or the older 3-digit sequence)."""
    return [Entity("filing_id", ref, *norm.span_to_original(s, e), "regex") for s, e, ref in references.find(norm.text)]


def extract_license_number(norm: Normalized, taken: Spans | Iterable[tuple[int, int]]) -> list[Entity]:
    """License numbers: letter prefix + digits, or long digit strings after a cue like 编号."""
    occupied = taken if isinstance(taken, Spans) else Spans.of(len(norm.original), taken)
    out = []
    for m in _LICENSE_NO.finditer(norm.text):
        value = m.group(1).upper()
        s, e = _span(norm, m, 1)
        if occupied.overlaps(s, e):
            continue
        # The cue ends right before the number (normalised text: one space at most), so a short window is the
        # whole of what the anchored pattern can match (not the whole text before: that was quadratic).
        if value[0].isdigit() and not _NUMBER_CUE.search(norm.text[max(0, m.start(1) - _CUE_WINDOW): m.start(1)]):
            continue
        out.append(Entity("license_number", value, s, e, "regex"))
    return out


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def extract_date(norm: Normalized, today: dt.date) -> list[Entity]:
    """Absolute and relative dates, resolved against `today`, as ISO strings."""
    out: list[Entity] = []
    used = Spans(len(norm.text))  # normalised-text positions of the dates found by earlier patterns
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(norm.text):
            if used.overlaps(m.start(), m.end()):
                continue
            g = m.groups()
            day: dt.date | None = None
            if kind in ("ymd", "iso"):
                day = _safe_date(_cn_int(g[0]), _cn_int(g[1]), _cn_int(g[2]))
            elif kind == "rel_year_md":
                year = today.year - {"去年": 1, "前年": 2}.get(g[0], 0)
                day = _safe_date(year, _cn_int(g[1]), _cn_int(g[2]))
            elif kind == "rel_month_d":
                first = today.replace(day=1)
                base = (first - dt.timedelta(days=1)).replace(day=1) if g[0].startswith("上") else first
                day = _safe_date(base.year, base.month, _cn_int(g[1]))
            elif kind == "md":
                day = _safe_date(today.year, _cn_int(g[0]), _cn_int(g[1]))
            elif kind == "week":
                offset = {"上上": -2, "上": -1, "这": 0, "本": 0, "下": 1}[g[0]]
                monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=offset)
                day = monday + dt.timedelta(days=_WEEKDAY[g[1]])
            elif kind == "days_ago":
                if g[0] != "几":
                    day = today - dt.timedelta(days=_cn_int(g[0]))
            elif kind == "word":
                day = today + dt.timedelta(days=_WORD_DAYS[g[0]])
            if day is None:
                continue
            used.take(m.start(), m.end())
            out.append(Entity("date", day.isoformat(), *_span(norm, m), f"date_{kind}"))
    return sorted(out, key=lambda e: e.start)


def extract_org_name(norm: Normalized, blocked: Iterable[str] = ()) -> list[Entity]:
    """Company, shop, hospital and clinic names ending in a known suffix."""
    blocked = {b for b in blocked if b}  # names of a vocabulary: a bounded set, however long the text
    out = []
    text = norm.text
    for m in _ORG.finditer(text):
        name = m.group(1)
        start = m.start(1)
        lead = _ORG_LEAD.match(name)
        if lead:
            name, start = name[lead.end() :], start + lead.end()
        # Cut at the last particle such as 的/是/在 so '我们的食品店' style lead-ins are dropped.
        cut = max(name.rfind(p) for p in ("的", "是", "在", "给", "把", "了", "叫", "即"))
        if cut >= 0 and len(name) - cut - 1 >= 3:
            name, start = name[cut + 1 :], start + cut + 1
        if len(name) < 4 or name in _ORG_GENERIC or _ORG_BAD_START.match(name) or any(
            name == g or (name.endswith(g) and len(name) - len(g) < 2) for g in _ORG_GENERIC
        ):
            continue
        if any(b in name for b in blocked):
            continue
        s, e = norm.span_to_original(start, start + len(name))
        out.append(Entity("org_name", norm.original[s:e], s, e, "org_pattern"))
    return out


_VALIDATION_CUE = re.compile(r"校验|校驗|效验|年检|年审")


class EntityExtractor:
    """All extractors together, with overlaps resolved."""

    def __init__(self, license_types: Iterable[VocabEntry], validation_items: Iterable[VocabEntry]):
        self.licenses = DictionaryExtractor("license_type", license_types)
        self.validation = DictionaryExtractor("validation_item", validation_items)

    def extract(self, norm: Normalized, today: dt.date | None = None) -> list[Entity]:
        """Entities of every type, sorted by position; at most one per span."""
        today = today or clock.today()
        # Overlaps are checked against occupied positions (Spans), never entity against entity: linear time.
        strong = extract_uscc(norm) + extract_filing_id(norm) + extract_phone(norm)
        taken = Spans.of_entities(norm, strong)
        numbers = extract_license_number(norm, taken)
        taken.take_all(numbers)
        dates = [e for e in extract_date(norm, today) if not taken.overlaps(e.start, e.end)]
        lic = self.licenses.extract(norm)
        val = self.validation.extract(norm)
        lic_at, val_at = Spans.of_entities(norm, lic), Spans.of_entities(norm, val)
        val_only = [v for v in val if not lic_at.overlaps(v.start, v.end)]
        if _VALIDATION_CUE.search(norm.text) or val_only:
            names = val + [e for e in lic if not val_at.overlaps(e.start, e.end)]
        else:
            names = lic + [e for e in val if not lic_at.overlaps(e.start, e.end)]
        names_at = Spans.of_entities(norm, names)
        blocked = {norm.original[e.start : e.end] for e in names}
        orgs = [o for o in extract_org_name(norm, blocked) if not names_at.overlaps(o.start, o.end)]
        found = strong + numbers + dates + names + orgs
        dedup: dict[tuple[str, str], Entity] = {}
        for e in sorted(found, key=lambda e: (e.start, -(e.end - e.start))):
            dedup.setdefault((e.entity, e.value), e)
        return sorted(dedup.values(), key=lambda e: e.start)
