"""Export and import of the whole knowledge base: a YAML stream (exact round trip) and an Excel sheet of FAQs.

YAML: `--- # <id>` then each live item's text, sorted by id; import validates every document first and
imports nothing when any is wrong (export → import → export is byte-identical). Excel: one row per FAQ
(service id, FAQ id, question, variants one per line, answer, topic); import applies the valid rows and
reports each bad row with its number and a reason in Chinese.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from assistant.staff import forms
from assistant.staff.editing import KnowledgeService, validate
from knowledge.errors import LoadProblem
from knowledge.loader import KnowledgeBase
from knowledge.models import Faq
from knowledge.store import PUBLISHED
from knowledge.versions import dump_item, header_comment, join_stream, load_raw, split_stream

HEADER = ("事项编号", "问答编号", "问题", "问法（每行一个）", "答案", "主题")
# An Excel import is read row by row (openpyxl's read-only mode) within these limits, checked before any change:
MAX_ROWS = 5000  # FAQ rows (the demo base has a few hundred FAQs)
MAX_UNPACKED = 64 * 1024 * 1024  # bytes of the workbook's parts once unzipped (a small zip may hold gigabytes)
MAX_CELL = 20_000  # characters of one cell
TOPIC_BY_LABEL = {label: topic.value for topic, label in forms.TOPIC_LABELS.items()}


@dataclass
class ImportReport:
    """What an import did."""

    changed: list[str] = field(default_factory=list)  # item ids saved (as drafts or published)
    unchanged: int = 0
    rows_changed: int = 0
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (where, field, message)
    published: bool = False
    with_drafts: list[str] = field(default_factory=list)  # published items that still have an older draft

    @property
    def ok(self) -> bool:
        return not self.errors


def export_yaml(service: KnowledgeService) -> str:
    """The live base as one YAML stream."""
    return join_stream(service.store.live_texts())


def _save(service: KnowledgeService, item_id: str, text: str, actor: str, ip: str, publish: bool, report: ImportReport) -> None:
    if publish:
        service.publish_text(item_id, text, actor, ip, note="导入")
        if service.store.draft(item_id) is not None:
            report.with_drafts.append(item_id)
    else:
        service.save_text(item_id, text, actor, ip)
    report.changed.append(item_id)


def import_yaml(service: KnowledgeService, stream: str, actor: str, ip: str = "", publish: bool = True) -> ImportReport:
    """Import a YAML stream; all documents must validate, else nothing is imported."""
    report = ImportReport(published=publish)
    docs: list[tuple[str, str]] = []
    for line, text in split_stream(stream):
        item_id = str(load_raw(text).get("id") or "")
        _, problems = validate(item_id or "(no-id)", text)
        if not item_id:
            report.errors.append((f"第{line}行起的文档", "id", "缺少 id"))
        for p in problems:
            report.errors.append((f"{item_id or '第' + str(line) + '行起的文档'}", p.field, forms.zh_message(p)))
        docs.append((item_id, text))
    for dup in sorted(i for i, n in Counter(i for i, _ in docs).items() if n > 1):
        report.errors.append((dup, "id", "同一事项在文件中出现多次"))
    if report.errors:
        return report
    latest = service.store.latest_all()
    for item_id, text in docs:
        current = latest.get(item_id)
        working = service.working(item_id)
        same = (current is not None and current.status == PUBLISHED and current.text == text) if publish else \
            (working is not None and working.text == text)
        if same:
            report.unchanged += 1
            continue
        _save(service, item_id, text, actor, ip, publish, report)
    return report


def export_xlsx(kb: KnowledgeBase) -> bytes:
    """One row per live FAQ."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "问答"
    ws.append(HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for item, faq in kb.faqs:
        ws.append((item.id, faq.id, faq.question, "\n".join(faq.variants), faq.answer, faq.topic.value))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.data_type == "f":
                cell.data_type = "s"  # text that starts with "=" stays text: never a formula in the staff's Excel
    for col, width in zip("ABCDEF", (26, 36, 36, 40, 60, 12), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(value: Any) -> str:
    return "" if value is None else str(value).replace("\r\n", "\n").strip()


def _faq_problem(exc: ValidationError, row: int) -> list[tuple[str, str, str]]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(row)"
        problem = LoadProblem("excel", loc, err["msg"].removeprefix("Value error, "), "")
        out.append((f"第{row}行", {"variants": "问法", "question": "问题", "answer": "答案", "topic": "主题"}.get(loc.split(".")[0], loc),
                    forms.zh_message(problem)))
    return out


def _unpacked_size(data: bytes) -> int | None:
    """The workbook's size unzipped, from the zip directory (nothing is decompressed); None when not a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def import_xlsx(service: KnowledgeService, data: bytes, actor: str, ip: str = "", publish: bool = False) -> ImportReport:
    """Apply the sheet's rows to the items' drafts (or publish them); bad rows are reported and skipped.

    The sheet is streamed; more than MAX_ROWS rows, more than MAX_UNPACKED bytes unzipped or a cell longer than
    MAX_CELL characters refuse the whole file before anything is changed. The items are read in two queries."""
    from openpyxl import load_workbook

    report = ImportReport(published=publish)
    unpacked = _unpacked_size(data)
    if unpacked is not None and unpacked > MAX_UNPACKED:
        report.errors.append(("文件", "", f"表格解压后超过 {MAX_UNPACKED // 1024 // 1024} MB，请拆分后分批导入"))
        return report
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = workbook.worksheets[0]
    except Exception:  # not an xlsx file
        report.errors.append(("文件", "", "无法读取，请上传由本系统导出的 .xlsx 文件"))
        return report
    try:
        rows = _rows(ws, report)
    finally:
        workbook.close()
    if rows is None:
        return report
    working = service.working_all()
    raws: dict[str, dict[str, Any]] = {}
    headers: dict[str, str] = {}
    touched: dict[str, list[int]] = {}
    for n, values in rows:
        service_id, faq_id, question, variants, answer, topic = values
        if service_id not in raws:
            current = working.get(service_id) if service_id else None
            if current is None:
                report.errors.append((f"第{n}行", "事项编号", f"没有事项 {service_id or '（空）'}"))
                continue
            raws[service_id], headers[service_id] = load_raw(current.text), header_comment(current.text)
        if not faq_id.startswith(service_id + "/"):
            report.errors.append((f"第{n}行", "问答编号", f"问答编号应以 {service_id}/ 开头"))
            continue
        raw = raws[service_id]
        topic = TOPIC_BY_LABEL.get(topic, topic or "other")
        pos = forms.faq_index(raw, faq_id)
        old: dict[str, Any] = raw["faqs"][pos] if pos is not None else {"id": faq_id, "source": {"kind": "example"}}
        new = {**old, "question": question, "variants": forms.lines(variants), "answer": answer, "topic": topic}
        try:
            Faq.model_validate(new)
        except ValidationError as exc:
            report.errors += _faq_problem(exc, n)
            continue
        if pos is not None and all(str(old.get(k, "")) == str(new[k]) for k in ("question", "answer")) \
                and list(old.get("variants") or []) == new["variants"] and str(old.get("topic") or "other") == topic:
            continue
        if pos is None:
            raw.setdefault("faqs", []).append(new)
        else:
            raw["faqs"][pos] = new
        touched.setdefault(service_id, []).append(n)
    for item_id, numbers in touched.items():
        text = dump_item(raws[item_id], headers[item_id])
        item, problems = validate(item_id, text)
        if item is None:
            for p in problems:
                report.errors.append((f"第{'、'.join(map(str, numbers))}行（{item_id}）", p.field, forms.zh_message(p)))
            continue
        _save(service, item_id, text, actor, ip, publish, report)
        report.rows_changed += len(numbers)
    report.unchanged = len([r for r in raws if r not in touched])
    return report


def _rows(ws: Any, report: ImportReport) -> list[tuple[int, tuple[str, ...]]] | None:
    """The sheet's non-empty rows after the header, as 6 cleaned cells; None (and the error reported) when the
    sheet is beyond the limits."""
    out: list[tuple[int, tuple[str, ...]]] = []
    for n, values in enumerate(ws.iter_rows(values_only=True, max_col=len(HEADER)), 1):
        if n == 1 or not any(v not in (None, "") for v in values):
            continue
        if len(out) >= MAX_ROWS:
            report.errors.append(("文件", "", f"表格超过 {MAX_ROWS} 行问答，请拆分后分批导入（未导入任何内容）"))
            return None
        cells = tuple(_cell(v) for v in (*values, *[None] * len(HEADER))[:len(HEADER)])
        if any(len(c) > MAX_CELL for c in cells):
            report.errors.append((f"第{n}行", "", f"单元格超过 {MAX_CELL} 字，请缩短后再导入（未导入任何内容）"))
            return None
        out.append((n, cells))
    return out
