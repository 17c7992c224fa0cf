"""Red team, row 7: an editor's input must not take the server down.

Found: a 405-byte YAML draft whose aliases nest nine levels deep became a 219 MB page each time the knowledge list
opened; duplicate checks were quadratic; an Excel sheet of 200k rows ran 100 s with 2 queries per row and no cap.
Now: knowledge/yamlsafe.py reads a draft within a size, alias and expansion budget; the Excel import is streamed,
capped (rows, unzipped size, cell length) and reads the items in two queries. Bounded here: 5 alias levels
(≈60,000 values when expanded, a few MB at most), 5,001 rows, one 70 MB (unzipped) part.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from sqlalchemy import event

from tests.security.flows import cheap_hashing, login, staff_user

LEVELS = 5


def alias_bomb(item_id: str) -> str:
    lines = [f"id: {item_id}", "a0: &a0 [哈, 哈, 哈, 哈, 哈, 哈, 哈, 哈, 哈]"]
    for n in range(1, LEVELS + 1):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    lines.append(f"name: *a{LEVELS}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def editor(make_client: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    cheap_hashing(monkeypatch)
    client = make_client(rate_limit=False)
    login(client, staff_user(client, "editor"))
    return client


def test_an_alias_bomb_draft_stays_small(editor: Any) -> None:
    service = editor.app.state.services.staff.knowledge
    text = alias_bomb("alias-bomb")
    assert len(text.encode()) < 500
    problems = service.save_text("alias-bomb", text, "editor")
    assert any("alias" in p.message for p in problems), problems
    page = editor.get("/admin/knowledge")
    assert page.status_code == 200, page.text[:300]
    assert len(page.content) < 500_000 and "哈哈" not in page.text.replace(" ", "").replace(",", "")
    entry = editor.get("/admin/knowledge/alias-bomb")
    assert entry.status_code < 500 and len(entry.content) < 500_000


def test_a_huge_draft_is_refused_by_its_size(editor: Any) -> None:
    service = editor.app.state.services.staff.knowledge
    text = "id: huge-item\nname: 大\naliases:\n" + "".join(f"  - 别名{n}\n" for n in range(100_000))
    problems = service.save_text("huge-item", text, "editor")
    assert any("KB" in p.message for p in problems), problems[:3]


def _sheet(rows: list[tuple[str, ...]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("问答")
    ws.append(("事项编号", "问答编号", "问题", "问法（每行一个）", "答案", "主题"))
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _import(editor: Any, data: bytes) -> Any:
    from assistant.staff.transfer import import_xlsx

    return import_xlsx(editor.app.state.services.staff.knowledge, data, "editor")


def test_too_many_rows_are_refused_before_anything_changes(editor: Any) -> None:
    kb = editor.app.state.services.knowledge.current.kb
    item = next(iter(kb.items.values()))
    faq = item.faqs[0]
    rows = [(item.id, faq.id, faq.question + "？", "\n".join(faq.variants), faq.answer, faq.topic.value)]
    rows += [("no-such-item", f"no-such-item/x{n}", "问", "a\nb\nc\nd\ne", "答", "other") for n in range(5000)]
    report = _import(editor, _sheet(rows))
    assert any("5000" in message for _, _, message in report.errors), report.errors[:3]
    assert report.changed == [] and editor.app.state.services.staff.store.draft(item.id) is None


def test_unknown_items_cost_no_query_per_row(editor: Any) -> None:
    engine = editor.app.state.services.staff.db
    queries = 0

    def count(*_: Any) -> None:
        nonlocal queries
        queries += 1

    data = _sheet([("no-such-item", f"no-such-item/x{n}", "问", "a\nb\nc\nd\ne", "答", "other") for n in range(300)])
    event.listen(engine, "before_cursor_execute", count)
    try:
        report = _import(editor, data)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(report.errors) == 300 and queries <= 10, queries


def test_a_workbook_that_unzips_to_70_mb_is_refused(editor: Any) -> None:
    genuine = _sheet([("x", "x/y", "问", "a", "答", "other")])
    bloated = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(genuine)) as src, zipfile.ZipFile(bloated, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                head, _, rest = data.partition(b"<sheetData")
                data = head + b"<!--" + b"x" * (70 * 1024 * 1024) + b"-->" + b"<sheetData" + rest
            out.writestr(info, data)
    assert len(bloated.getvalue()) < 1_000_000  # under 1 MB as uploaded
    report = _import(editor, bloated.getvalue())
    assert any("MB" in message for _, _, message in report.errors), report.errors[:3]
