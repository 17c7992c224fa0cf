"""Institution lists for the tests: CSV and xlsx bytes from rows of header -> value."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

HEADER = ("机构名称", "登记号", "有效期至", "联系人", "联系电话", "地址", "类别", "电子邮箱")


def roster_csv(rows: Sequence[dict[str, Any]], header: Sequence[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    for row in rows:
        w.writerow([row.get(h, "") for h in header])
    return buf.getvalue().encode(encoding)


def roster_xlsx(rows: Sequence[dict[str, Any]], header: Sequence[str] = HEADER, title_rows: int = 0) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for _ in range(title_rows):
        sheet.append(["青岛西海岸新区医疗机构名单"])
    sheet.append(list(header))
    for row in rows:
        sheet.append([row.get(h) for h in header])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
