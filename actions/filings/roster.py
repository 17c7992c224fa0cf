"""Reading the district's institution list (xlsx or CSV) into checked rows and row-level errors.

Columns are found by their Chinese headers (synonyms accepted, any order, the first row with a 登记号 header is
the header row): 机构名称, 登记号, 有效期至 (license valid-until / 校验到期日), 联系人, 联系电话 are required;
地址, 类别, 电子邮箱 are optional. Values are checked as the chat's forms check them (actions/validators.py).
Nothing here touches the database (institutions.py does) and no value is logged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from actions import validators as v
from actions.filings.errors import RegistryError

MAX_ROWS = 5000  # the district has ~1,000 institutions
MAX_CELL = 500
FIELDS: dict[str, tuple[str, ...]] = {  # field -> header names (compared without spaces, case-insensitive)
    "name": ("机构名称", "医疗机构名称", "名称", "单位名称", "机构"),
    "registration_number": ("登记号", "机构登记号", "登记编号", "执业许可证登记号"),
    "license_valid_until": ("有效期至", "许可证有效期至", "执业许可证有效期至", "校验到期日", "校验期至", "到期日",
                            "有效期", "许可证有效期"),
    "contact_name": ("联系人", "联系人姓名", "负责人"),
    "contact_phone": ("联系电话", "电话", "手机", "手机号", "联系方式"),
    "address": ("地址", "机构地址", "执业地址"),
    "category": ("类别", "机构类别", "类型", "机构类型"),
    "email": ("电子邮箱", "邮箱", "email", "e-mail", "电子邮件"),
}
REQUIRED = ("name", "registration_number", "license_valid_until", "contact_name", "contact_phone")
LABELS = {"name": "机构名称", "registration_number": "登记号", "license_valid_until": "有效期至", "contact_name": "联系人",
          "contact_phone": "联系电话", "address": "地址", "category": "类别", "email": "电子邮箱"}
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


@dataclass(frozen=True)
class RowError:
    """A problem of one cell (or of the whole row when `field` is '')."""

    row: int  # the spreadsheet's row number (the header is row 1 in a plain file)
    field: str
    value: str
    message: str  # Chinese, for staff

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "value": self.value, "message": self.message}


@dataclass(frozen=True)
class Roster:
    """A read list: rows that passed every check (canonical values, as JSON-safe dicts) and row errors."""

    rows: list[dict[str, Any]]
    errors: list[RowError]
    total: int  # data rows read (blank ones not counted)


def _fold(header: Any) -> str:
    return re.sub(r"[\s*＊:：（）()]", "", str(header or "")).lower()


_HEADERS = {_fold(name): field for field, names in FIELDS.items() for name in names}


def _cells(filename: str, data: bytes) -> Iterator[tuple[int, list[Any]]]:
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        yield from _xlsx(data)
    elif name.endswith((".csv", ".txt")) or not name:
        yield from _csv(data)
    else:
        raise RegistryError(f"unsupported file {filename!r}", "只支持 Excel（.xlsx）或 CSV 文件。")


def _xlsx(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RegistryError(f"unreadable xlsx: {exc}", "Excel 文件无法读取，请另存为 .xlsx 后重试。") from exc
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + 20:
                raise RegistryError("too many rows", f"一次最多导入 {MAX_ROWS} 行，请分批导入。")
            yield number, list(row)
    finally:
        book.close()


def _csv(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in Chinese saves CSV as GB18030 (GBK)
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RegistryError("undecodable csv", "CSV 文件编码无法识别，请保存为 UTF-8 或 GBK 编码。")
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if number > MAX_ROWS + 20:
            raise RegistryError("too many rows", f"一次最多导入 {MAX_ROWS} 行，请分批导入。")
        yield number, row


def parse_day(value: Any, today: dt.date) -> dt.date | None:
    """A calendar date from a cell: a date, 2026-03-31, 2026/3/31, 2026.3.31 or 2026年3月31日 (nothing relative)."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        m = _DATE.match(v.clean(value).replace(" ", ""))
        if not m:
            return None
        try:
            day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    return day if 1950 <= day.year <= today.year + 50 else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone or 登记号 Excel stored as a number
    return str(value).strip()[:MAX_CELL]


def _check(field: str, raw: Any, today: dt.date) -> tuple[Any, str]:
    """(canonical value, '') or (None, Chinese message)."""
    text = _text(raw)
    if field == "license_valid_until":
        day = parse_day(raw, today)
        return (day.isoformat(), "") if day else (None, "日期无法识别，请写成 2026-03-31 或 2026年3月31日")
    if not text:
        return ("", "") if field not in REQUIRED else (None, "不能为空")
    if field == "name":
        c = v.check_org_name(text, "bad")
        return (c.value, "") if c.ok else (None, "机构名称不完整（4-60个字）")
    if field == "registration_number":
        c = v.check_registration_number(text)
        return (c.value, "") if c.ok else (None, "登记号应为10-30位数字和字母")
    if field == "contact_name":
        c = v.check_person_name(text)
        return (c.value, "") if c.ok else (None, "联系人姓名应为2-20个汉字或字母")
    if field == "contact_phone":
        c = v.check_phone(text)
        return (c.value, "") if c.ok else (None, "联系电话应为11位手机号或带区号的座机号")
    if field == "email":
        return (text.lower(), "") if _EMAIL.match(text) else (None, "电子邮箱格式不正确")
    return v.clean(text)[:200], ""


def read_roster(filename: str, data: bytes, today: dt.date) -> Roster:
    """Read an institution list; raises RegistryError when the file as a whole is unusable."""
    columns: dict[str, int] | None = None
    rows: list[dict[str, Any]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    total = 0
    for number, cells in _cells(filename, data):
        if columns is None:
            found = {_HEADERS[_fold(c)]: i for i, c in reversed(list(enumerate(cells))) if _fold(c) in _HEADERS}
            if "registration_number" in found:
                missing = [LABELS[f] for f in REQUIRED if f not in found]
                if missing:
                    raise RegistryError(f"missing columns {missing}", f"表头缺少必填列：{'、'.join(missing)}。")
                columns = found
            continue
        if not any(_text(c) for c in cells):
            continue
        total += 1
        row: dict[str, Any] = {}
        bad = False
        for field, index in columns.items():
            raw = cells[index] if index < len(cells) else None
            value, problem = _check(field, raw, today)
            if problem:
                errors.append(RowError(number, field, _text(raw)[:60], f"{LABELS[field]}：{problem}"))
                bad = True
            else:
                row[field] = value
        for field in FIELDS:
            row.setdefault(field, "")
        reg = row.get("registration_number") or ""
        if reg and reg in seen:
            errors.append(RowError(number, "registration_number", reg, f"登记号与第 {seen[reg]} 行重复，本行不导入"))
            bad = True
        if not bad:
            seen[reg] = number
            rows.append(row | {"row": number})
    if columns is None:
        raise RegistryError("no header row", "没有找到表头（须含“登记号”列）。请使用导入模板的列名。")
    if total == 0:
        raise RegistryError("no data rows", "文件里没有机构数据。")
    return Roster(rows, errors, total)


def template_csv() -> bytes:
    """The import template (UTF-8 with BOM so Excel opens it in Chinese)."""
    header = ["机构名称", "登记号", "有效期至", "联系人", "联系电话", "地址", "类别", "电子邮箱"]
    sample = ["青岛示例口腔诊所", "PDY12345637021117D2152", "2026-03-31", "王丽", "13800000000",
              "青岛西海岸新区示例路1号", "口腔诊所", "clinic@example.com"]
    buf = io.StringIO()
    csv.writer(buf).writerows([header, sample])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
