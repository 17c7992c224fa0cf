"""Export/import of the knowledge base (YAML round trip, Excel), the store's versions, and analytics."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.needs import pg_schema
from tests.staff.conftest import csrf_of, login, staff_of


@pytest.fixture
def editor(client: Any, users: dict[str, Any]) -> Any:
    login(client, "editor")
    client.headers["X-CSRF-Token"] = csrf_of(client)
    return client


def upload(client: Any, name: str, data: bytes, publish: bool) -> Any:
    fields = {"publish": "1"} if publish else {}
    return client.post("/admin/knowledge/import", files={"file": (name, data)}, data=fields)


def test_yaml_export_import_export_is_byte_identical(editor: Any, make_client: Any, parts: Any) -> None:
    faq = parts.kb.items["service-hall"].faqs[0]
    form = {"question": faq.question, "variants": "\n".join(faq.variants), "answer": "多行答案：\n第一行\n第二行  ",
            "topic": faq.topic.value, "source_kind": faq.source.kind.value, "source_ref": faq.source.ref or ""}
    editor.post(f"/admin/knowledge/service-hall/faq/{faq.id.split('/', 1)[1]}", data=form)
    assert editor.post("/admin/knowledge/service-hall/publish", follow_redirects=False).status_code == 303
    first = editor.get("/admin/knowledge/export.yml")
    assert first.status_code == 200 and "attachment" in first.headers["content-disposition"]
    assert first.content.count(b"\n--- # ") == len(parts.kb.items) - 1
    # into a fresh app (another database)
    other = make_client("other")
    staff_of(other).users.create("ed2", "correct-horse-9", "editor")
    login(other, "ed2")
    other.headers["X-CSRF-Token"] = csrf_of(other)
    r = upload(other, "kb.yml", first.content, publish=True)
    assert r.status_code == 200 and "已发布 1 个事项" in r.text
    second = other.get("/admin/knowledge/export.yml")
    assert second.content == first.content
    # and once more into the first app: nothing changes
    r = upload(editor, "kb.yml", second.content, publish=True)
    assert "已发布 0 个事项" in r.text
    assert editor.get("/admin/knowledge/export.yml").content == first.content


def test_yaml_import_with_an_error_imports_nothing(editor: Any, parts: Any) -> None:
    stream = editor.get("/admin/knowledge/export.yml").text
    broken = stream.replace("\nname: 政务服务中心办事指南", "\nname: ''", 1)
    assert broken != stream
    before = staff_of(editor).store.generation()
    r = upload(editor, "kb.yml", broken.replace("phone:", "phone_number:", 1).encode(), publish=True)
    assert r.status_code == 422 and "未导入任何内容" in r.text and "多余的字段" in r.text and "不能为空" in r.text
    assert staff_of(editor).store.generation() == before


def test_excel_export_and_import_updates_faqs_and_reports_bad_rows(editor: Any, parts: Any) -> None:
    from openpyxl import load_workbook

    data = editor.get("/admin/knowledge/export.xlsx").content
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("事项编号", "问答编号", "问题") and len(rows) == len(parts.kb.faqs) + 1
    # unchanged round trip: nothing to do
    r = upload(editor, "faqs.xlsx", data, publish=False)
    assert r.status_code == 200 and "0 个事项" in r.text
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    target = next(row for row in ws.iter_rows(min_row=2) if row[0].value == "video-service")
    target[4].value = "视频办：在线连线窗口工作人员，全程视频指导。"
    target[3].value = target[3].value + "\n能不能视频连线办事"
    ws.append(("video-service", "video-service/bad", "问题", "只有一个问法", "答案", "other"))
    ws.append(("no-such-item", "no-such-item/x", "问题", "a\nb\nc\nd\ne", "答案", "other"))
    ws.append(("video-service", "video-service/new-one", "新问题？", "问法一｜问法二｜问法三｜问法四｜问法五", "新答案", "其他"))
    out = io.BytesIO()
    wb.save(out)
    r = upload(editor, "faqs.xlsx", out.getvalue(), publish=True)
    assert "至少需要 5 条" in r.text and "没有事项 no-such-item" in r.text
    assert "第" in r.text and "已发布 1 个事项（2 行问答）" in r.text
    live = editor.app.state.services.knowledge.current
    item = live.kb.items["video-service"]
    faq = live.kb.faq(target[1].value)[1]
    assert faq.answer == "视频办：在线连线窗口工作人员，全程视频指导。" and "能不能视频连线办事" in faq.variants
    assert live.kb.faq("video-service/new-one")[1].variants == ["问法一", "问法二", "问法三", "问法四", "问法五"]
    assert item.faqs[-1].id == "video-service/new-one"
    assert live.nlu.parse("能不能视频连线办事").ranking[0].faq_id == faq.id
    r = upload(editor, "faqs.txt", b"x", publish=False)
    assert r.status_code == 422


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database: SQLite file, or a fresh PostgreSQL schema (LINGLING_TEST_PG_URL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kb.db'}"
        return
    with pg_schema("t") as url:
        yield url


def test_store_versions_and_live_base(store_url: str) -> None:
    from knowledge.store import SqlKnowledgeStore, StaleVersion
    from knowledge.versions import build_kb, read_folder

    store = SqlKnowledgeStore(store_url)
    store.migrate()
    texts = read_folder()
    assert store.is_empty() and store.seed(texts) == len(texts) and store.seed(texts) == 0
    kb = build_kb(store.live_texts())
    assert len(kb.items) == len(texts)
    gen = store.generation()
    text = texts["service-hall"]
    store.save_draft("service-hall", text + "# draft\n", "ed")
    assert store.generation() == gen and store.draft("service-hall").text.endswith("# draft\n")
    v2 = store.add_version("service-hall", text.replace("\n", "\n", 1) + "# v2\n", "published", "ed", expected=1, drop_draft=True)
    assert v2.number == 2 and store.draft("service-hall") is None and store.generation() > gen
    with pytest.raises(StaleVersion):
        store.add_version("service-hall", text, "published", "ed", expected=1)
    store.add_version("service-hall", text, "retired", "ed")
    assert "service-hall" not in store.live_texts()
    assert list(store.changes_since(gen)) == ["service-hall"]
    assert [v.status for v in store.history("service-hall")] == ["retired", "published", "published"]
    store.close()


def test_analytics_page_counts_turns_and_draws_svg(client: Any, users: dict[str, Any], parts: Any) -> None:
    who = uuid.uuid4().hex
    faq = parts.kb.items["license-loss-notice"].faqs[0]
    turn = client.post("/api/chat", json={"sender": who, "message": faq.question}).json()
    client.post("/api/feedback", json={"sender": who, "turn_id": turn["turn_id"], "rating": 1})
    client.post("/api/chat", json={"sender": who, "message": "帮我订一张去北京的机票"})
    login(client, "reviewer")
    page = client.get("/admin/analytics")
    assert page.status_code == 200
    assert page.text.count("<svg") == 6 and "<script" not in page.text.split("</head>")[1]
    assert "点赞 1" in page.text and "50%" in page.text  # one of two questions answered
    assert "行政许可证遗失电子化公告" in page.text
