"""The one notice search: what a person typed (chat or /notices) → which published notices match.

People search a lost-license notice by its company's name in any phrasing ("查询遗失公告 青岛明远餐饮有限公司",
"明远餐饮的公告", a partial or a traditional-character name), by the notice number it was given
(XHA-YS-2026-0001, "2026-0001", any case, full-width hyphens), by the license number or by the 统一社会信用代码.
`parse_query` reads all of that from one text; `criteria` turns it into SQL over `filing_notices`, whose
`name_key` / `license_key` columns hold the same folded forms (`name_key`, `license_key`), written when a notice
is published.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, true

from actions.filings.tables import Notice
from nlu.normalize import fold

NUMBER_PREFIX = "XHA-YS"
_FULL_NUMBER = re.compile(r"(?<![0-9a-z])(?:xha)?\s*[-_]?\s*ys\s*[-_]?\s*(\d{4})\s*[-_]?\s*(\d{1,4})(?!\d)")
_SHORT_NUMBER = re.compile(r"(?<![0-9a-z-])(20\d{2})\s*-\s*(\d{1,4})(?![0-9a-z]|-\d)")
_USCC = re.compile(r"(?<![0-9a-z])([0-9a-hj-npqrtuwxy]{2}\d{6}[0-9a-hj-npqrtuwxy]{10})(?![0-9a-z])")
_CODE = re.compile(r"[0-9a-z][0-9a-z\-]*[0-9a-z]")  # runs that may be license numbers (checked below)
_NOT_KEY = re.compile(r"[^0-9a-z\u3400-\u9fff]")
# Words of the request itself, never part of what is searched for (longest first when removed).
_FILLER = sorted({
    "统一社会信用代码", "社会信用代码", "信用代码", "许可证编号", "许可证号", "公告编号", "公告号", "证照编号", "证号", "编号",
    "遗失公告", "遗失声明", "挂失公告", "公告", "遗失", "丢失", "声明", "作废",
    "企业名称", "单位名称", "公司名称", "名称", "名字", "这家", "那家", "我们", "我的", "我家",
    "帮我", "帮忙", "麻烦", "请问", "请", "我想", "我要", "想要", "查询", "查找", "查一下", "查一查", "查查", "查看", "查",
    "搜索", "搜一下", "搜", "找一下", "找找", "找", "看一下", "看看", "下载", "打印", "一下", "有没有", "是否", "能否",
    "发布了", "发布", "已经", "登了", "登报", "刊登", "的", "吗", "呢", "吧", "啊", "了",
}, key=len, reverse=True)
_FILLER_RE = re.compile("|".join(re.escape(w) for w in _FILLER))
_REGION = re.compile(r"^(?:山东省)?(?:青岛市|青岛)?(?:西海岸新区|黄岛区|黄岛)?")
_ORG_FORM = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|公司)$")


def name_key(text: str) -> str:
    """A company name as searched: folded (simplified, half-width, lower case), only letters, digits and CJK."""
    return _NOT_KEY.sub("", fold(text or ""))


def license_key(text: str) -> str:
    """A license number as searched: its letters and digits, upper case (（鲁）JZ安许证字〔2019〕010203 → JZ2019010203)."""
    return re.sub(r"[^0-9A-Z]", "", fold(text or "").upper())


def format_number(year: int, seq: int) -> str:
    """The public notice number, e.g. XHA-YS-2026-0001 (yearly sequence)."""
    return f"{NUMBER_PREFIX}-{year}-{seq:04d}"


@dataclass(frozen=True)
class NoticeQuery:
    """What one search text asks for. Identifiers (numbers, codes) match any; name parts must all match."""

    raw: str = ""
    numbers: tuple[str, ...] = ()  # whole (XHA-YS-2026-0001) or partial (2026-0001) notice numbers
    usccs: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()  # license_key forms
    names: tuple[str, ...] = ()  # name_key forms of the company-name words
    license_type: str = ""  # a license type named in the text (canonical name)

    @property
    def empty(self) -> bool:
        """Nothing to search for (the request named no notice)."""
        return not (self.numbers or self.usccs or self.licenses or self.names or self.license_type)

    def described(self) -> str:
        """What was searched, for the answer ("青岛明远餐饮" / "XHA-YS-2026-0001")."""
        return "、".join([*self.numbers, *self.usccs, *self.licenses, *self.names, self.license_type][:3])


def _core(part: str) -> str:
    """A company-name word without the region in front and the company form behind (明远餐饮)."""
    core = _ORG_FORM.sub("", _REGION.sub("", part))
    return core if len(core) >= 2 else part


def parse_query(text: str, license_types: Iterable[tuple[str, Iterable[str]]] = ()) -> NoticeQuery:
    """Read a search text. `license_types`: (canonical name, aliases) pairs; a named type becomes a filter."""
    folded = fold(text or "")
    numbers: list[str] = []
    for m in _FULL_NUMBER.finditer(folded):
        numbers.append(format_number(int(m.group(1)), int(m.group(2))))
    rest = _FULL_NUMBER.sub(" ", folded)
    for m in _SHORT_NUMBER.finditer(rest):
        numbers.append(f"{m.group(1)}-{int(m.group(2)):04d}")
    rest = _SHORT_NUMBER.sub(" ", rest)
    usccs = [m.group(1).upper() for m in _USCC.finditer(rest)]
    rest = _USCC.sub(" ", rest)
    licenses: list[str] = []

    def code(m: re.Match[str]) -> str:
        found = m.group(0)
        if len(re.sub(r"[^0-9a-z]", "", found)) >= 6 and sum(c.isdigit() for c in found) >= 4:
            licenses.append(license_key(found))
            return " "
        return found

    rest = _CODE.sub(code, rest)
    license_type = ""
    for name, aliases in license_types:
        for alias in sorted({name, *aliases}, key=len, reverse=True):
            key = fold(alias)
            if key and key in rest and (key.endswith("证") or key == fold(name)):
                license_type = license_type or name
                rest = rest.replace(key, " ")
    rest = _FILLER_RE.sub(" ", rest)
    parts = [name_key(p) for p in rest.split()]
    parts = [p for p in parts if p]
    if len(parts) > 1 or numbers or usccs or licenses or license_type:
        # Stray single characters beside other words or an identifier ("2026-0003号") name nothing.
        parts = [p for p in parts if len(p) >= 2]
    names = tuple(dict.fromkeys(_core(p) for p in parts))
    return NoticeQuery(raw=(text or "").strip(), numbers=tuple(dict.fromkeys(numbers)), usccs=tuple(dict.fromkeys(usccs)),
                       licenses=tuple(dict.fromkeys(licenses)), names=names, license_type=license_type)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def criteria(query: NoticeQuery) -> ColumnElement[bool]:
    """The WHERE clause of a query (license type included when it named one)."""
    ids: list[ColumnElement[bool]] = []
    ids += [Notice.number.like(_like(n), escape="\\") for n in query.numbers]
    ids += [func.upper(Notice.uscc) == u for u in query.usccs]
    ids += [Notice.license_key.like(_like(k), escape="\\") for k in query.licenses]
    # The license-number reading of a run of digits may also be a USCC's or a number's part: search both.
    ids += [func.upper(Notice.uscc).like(_like(k), escape="\\") for k in query.licenses if len(k) >= 8]
    found: ColumnElement[bool]
    if query.names:
        name = and_(*(Notice.name_key.like(_like(p), escape="\\") for p in query.names))
        found = or_(*ids, name)
    elif ids:
        found = or_(*ids)
    elif query.raw and not query.license_type:
        # Nothing recognisable (punctuation, a stray symbol): the text itself, literally, in the name or the number.
        found = or_(Notice.company_name.ilike(_like(query.raw), escape="\\"),
                    Notice.number.ilike(_like(query.raw), escape="\\"))
    else:
        found = true()
    if query.license_type:
        found = and_(found, Notice.license_type == query.license_type)
    return found
