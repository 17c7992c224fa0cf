"""Knowledge editing through the console: drafts, validation, publish (incremental index), rollback, retire,
the regression check (API level, real ngram pipeline, real dialogue manager)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.staff.conftest import csrf_of, form_values, login, staff_of

ITEM = "license-loss-notice"


def faq_form(kb: Any, faq_id: str, **changes: Any) -> dict[str, str]:
    _, faq = kb.faq(faq_id)
    form = {"question": faq.question, "variants": "\n".join(faq.variants), "answer": faq.answer,
            "topic": faq.topic.value, "source_kind": faq.source.kind.value, "source_ref": faq.source.ref or ""}
    form.update(changes)
    return form


@pytest.fixture
def editor(client: Any, users: dict[str, Any]) -> Any:
    login(client, "editor")
    client.headers["X-CSRF-Token"] = csrf_of(client)
    return client


def chat(client: Any, text: str, sender: str = "staff-test") -> list[dict[str, Any]]:
    r = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def overview_faq(kb: Any, item_id: str) -> Any:
    return next(f for f in kb.items[item_id].faqs if f.topic.value == "overview")


def count_index_work(monkeypatch: Any) -> list[tuple[str, str]]:
    """Every FAQ (re-)indexed or dropped from now on, in any retriever (a publish works on a copy)."""
    from nlu.retrieval import Retriever

    calls: list[tuple[str, str]] = []
    upsert, remove = Retriever.upsert_faq, Retriever.remove_faq

    def counting_upsert(self: Any, item: Any, faq: Any) -> None:
        calls.append(("upsert", faq.id))
        upsert(self, item, faq)

    def counting_remove(self: Any, faq_id: str) -> None:
        calls.append(("remove", faq_id))
        remove(self, faq_id)

    monkeypatch.setattr(Retriever, "upsert_faq", counting_upsert)
    monkeypatch.setattr(Retriever, "remove_faq", counting_remove)
    return calls


def live(client: Any) -> Any:
    """The client's knowledge snapshot in force."""
    return client.app.state.services.knowledge.current


def test_answer_edit_reaches_chat_after_publish_without_rebuild(editor: Any, parts: Any, monkeypatch: Any) -> None:
    kb = parts.kb
    faq = overview_faq(kb, ITEM)
    before = chat(editor, faq.question, "s1")
    assert any(m.get("custom", {}).get("faq_id") == faq.id for m in before)
    new_answer = "【测试】遗失公告现在可以全程网上办理，请登录西海岸新区政务网提交。"
    calls = count_index_work(monkeypatch)
    index_before = live(editor).nlu.retriever.index
    slug = faq.id.split("/", 1)[1]
    r = editor.post(f"/admin/knowledge/{ITEM}/faq/{slug}", data=faq_form(kb, faq.id, answer=new_answer), follow_redirects=False)
    assert r.status_code == 303, r.text
    assert chat(editor, faq.question, "s2")[0]["text"] != new_answer  # a draft is not live
    r = editor.post(f"/admin/knowledge/{ITEM}/publish", follow_redirects=False)
    assert r.status_code == 303 and "done=published" in r.headers["location"]
    t0 = time.monotonic()
    answer = chat(editor, faq.question, "s3")
    assert time.monotonic() - t0 < 2
    assert answer[0]["text"] == new_answer and answer[0]["custom"]["answer"] == new_answer
    assert calls == []  # an answer is not indexed: nothing re-encoded
    assert live(editor).nlu.retriever.index is index_before  # the new snapshot shares the index
    st = staff_of(editor)
    assert [v.number for v in st.store.history(ITEM)] == [2, 1] and st.store.draft(ITEM) is None


def test_variant_edit_upserts_exactly_that_faq(editor: Any, parts: Any, monkeypatch: Any) -> None:
    kb = parts.kb
    faq = kb.items["food-business-license"].faqs[1]
    calls = count_index_work(monkeypatch)
    question = "开小饭馆之前那个绿色的本子去哪弄"
    before = live(editor)
    assert before.nlu.parse(question).ranking[0].faq_id != faq.id
    form = faq_form(kb, faq.id)
    form["variants"] += "\n" + question
    slug = faq.id.split("/", 1)[1]
    assert editor.post(f"/admin/knowledge/food-business-license/faq/{slug}", data=form, follow_redirects=False).status_code == 303
    assert editor.post("/admin/knowledge/food-business-license/publish", follow_redirects=False).status_code == 303
    assert [faq_id for kind, faq_id in calls if kind == "upsert"] == [faq.id]
    assert live(editor).nlu.parse(question).ranking[0].faq_id == faq.id
    assert question in live(editor).kb.faq(faq.id)[1].variants
    assert before.nlu.parse(question).ranking[0].faq_id != faq.id, "the old snapshot is left as it was"


def test_service_text_change_reupserts_the_overview_faq(editor: Any, parts: Any, monkeypatch: Any) -> None:
    kb = parts.kb
    calls = count_index_work(monkeypatch)
    page = editor.get(f"/admin/knowledge/{ITEM}/item")
    assert page.status_code == 200 and 'name="where.zone"' in page.text
    form = form_values(page.text, "item-form")
    form["aliases"] += "\n丢证登报新说法"
    r = editor.post(f"/admin/knowledge/{ITEM}/item", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:3000]
    assert editor.post(f"/admin/knowledge/{ITEM}/publish", follow_redirects=False).status_code == 303
    assert [faq_id for kind, faq_id in calls if kind == "upsert"] == [overview_faq(kb, ITEM).id]
    assert "丢证登报新说法" in live(editor).kb.items[ITEM].aliases and "丢证登报新说法" not in kb.items[ITEM].aliases


def test_a_broken_edit_cannot_be_published(editor: Any, parts: Any) -> None:
    kb = parts.kb
    faq = overview_faq(kb, ITEM)
    slug = faq.id.split("/", 1)[1]
    live_before = live(editor).kb.items[ITEM]
    r = editor.post(f"/admin/knowledge/{ITEM}/faq/{slug}", data=faq_form(kb, faq.id, variants="只有一个问法\n两个", answer=""))
    assert r.status_code == 422
    assert 'id="err-variants"' in r.text and "至少需要 5 条" in r.text
    assert 'id="err-answer"' in r.text and "不能为空" in r.text
    r = editor.post(f"/admin/knowledge/{ITEM}/publish")
    assert r.status_code == 422 and "不能发布" in r.text
    assert live(editor).kb.items[ITEM] is live_before
    st = staff_of(editor)
    assert st.store.latest(ITEM).number == 1 and st.store.draft(ITEM) is not None
    # broken YAML: saved as a draft, never published
    r = editor.post(f"/admin/knowledge/{ITEM}/yaml", data={"text": "id: license-loss-notice\nname: [unclosed\n"})
    assert r.status_code == 422 and "YAML 格式错误" in r.text
    assert editor.post(f"/admin/knowledge/{ITEM}/publish").status_code == 422
    assert live(editor).kb.items[ITEM] is live_before
    # an impossible date: reported, not a crash
    good = staff_of(editor).store.latest(ITEM).text
    r = editor.post(f"/admin/knowledge/{ITEM}/yaml", data={"text": good.replace("effective_from: ", "effective_from: 2025-02-30 #", 1)})
    assert r.status_code == 422 and "日期不存在" in r.text
    editor.post(f"/admin/knowledge/{ITEM}/yaml", data={"text": good})
    form = form_values(editor.get(f"/admin/knowledge/{ITEM}/item").text, "item-form")
    assert form["effective_from"] == "2025-01-01"
    form["effective_from"] = "2025-13-01"
    r = editor.post(f"/admin/knowledge/{ITEM}/item", data=form)
    assert r.status_code == 422 and 'id="err-effective_from"' in r.text and "日期" in r.text
    # the store itself refuses an invalid published text
    from knowledge.errors import KnowledgeValidationError

    with pytest.raises(KnowledgeValidationError):
        st.store.add_version(ITEM, "id: license-loss-notice\n", "published", "x")
    assert editor.post(f"/admin/knowledge/{ITEM}/discard", follow_redirects=False).status_code == 303
    assert st.store.draft(ITEM) is None


def test_rollback_publishes_the_old_version_again(editor: Any, parts: Any) -> None:
    kb = parts.kb
    faq = overview_faq(kb, ITEM)
    original = faq.answer
    slug = faq.id.split("/", 1)[1]
    editor.post(f"/admin/knowledge/{ITEM}/faq/{slug}", data=faq_form(kb, faq.id, answer="临时答案，稍后回滚。"))
    editor.post(f"/admin/knowledge/{ITEM}/publish")
    assert chat(editor, faq.question, "r1")[0]["text"] == "临时答案，稍后回滚。"
    history = editor.get(f"/admin/knowledge/{ITEM}/history")
    assert "第2版" in history.text and "回滚到此版本" in history.text
    diff = editor.get(f"/admin/knowledge/{ITEM}/diff?a=1&b=2")
    assert 'class="add"' in diff.text and "临时答案" in diff.text and 'class="del"' in diff.text
    stale = editor.post(f"/admin/knowledge/{ITEM}/rollback", data={"number": 1, "expected": 1})
    assert stale.status_code == 409
    r = editor.post(f"/admin/knowledge/{ITEM}/rollback", data={"number": 1, "expected": 2}, follow_redirects=False)
    assert r.status_code == 303
    st = staff_of(editor)
    v3 = st.store.latest(ITEM)
    assert v3.number == 3 and v3.text == st.store.version(ITEM, 1).text and v3.note == "回滚至第1版"
    assert chat(editor, faq.question, "r2")[0]["text"] == original


def test_retire_and_restore_an_item(editor: Any, parts: Any) -> None:
    question = overview_faq(parts.kb, "senior-assistance").question
    assert live(editor).nlu.parse(question).ranking[0].service_id == "senior-assistance"
    assert editor.post("/admin/knowledge/senior-assistance/retire", follow_redirects=False).status_code == 303
    assert "senior-assistance" not in live(editor).kb.items
    assert all(h.service_id != "senior-assistance" for h in live(editor).nlu.parse(question).ranking)
    assert editor.post("/admin/knowledge/senior-assistance/rollback", data={"number": 1, "expected": 2},
                       follow_redirects=False).status_code == 303
    assert live(editor).nlu.parse(question).ranking[0].service_id == "senior-assistance"


def test_create_a_new_item_and_faq(editor: Any, parts: Any) -> None:
    r = editor.post("/admin/knowledge/new", data={"item_id": "Bad Id", "name": "x"})
    assert r.status_code == 422 and "小写" in r.text
    r = editor.post("/admin/knowledge/new", data={"item_id": "pet-license", "name": "犬只登记"}, follow_redirects=False)
    assert r.status_code == 303
    assert editor.post("/admin/knowledge/pet-license/publish").status_code == 422  # a skeleton has problems
    st = staff_of(editor)
    text = st.store.draft("pet-license").text
    text = (text.replace("summary: ''", "summary: 养犬登记办理。").replace("applicable_to: ''", "applicable_to: 养犬人")
            .replace("hours: ''", "hours: 工作日 9:00-17:00").replace("phone: ''", "phone: 0532-00000000")
            .replace("zone: ''", "zone: A区"))
    faq = ("faqs:\n  - id: pet-license/overview\n    question: 犬只登记怎么办？\n"
           "    variants: [养狗要登记吗, 狗证怎么办, 犬证办理, 办狗证, 养犬证怎么申请]\n"
           "    answer: 携带犬只和身份证到A区窗口办理。\n    topic: overview\n    source: {kind: example}\n")
    text = text.replace("faqs: []\n", faq)
    r = editor.post("/admin/knowledge/pet-license/yaml", data={"text": text}, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    assert editor.post("/admin/knowledge/pet-license/publish", follow_redirects=False).status_code == 303
    assert live(editor).nlu.parse("我想办狗证").ranking[0].faq_id == "pet-license/overview"
    new = editor.post("/admin/knowledge/pet-license/faq/new", data={
        "slug": "fees", "question": "办狗证收费吗？", "variants": "狗证多少钱｜犬证收费｜办犬证要钱吗｜养犬登记费用｜狗证费用",
        "answer": "不收费。", "topic": "fees", "source_kind": "example"}, follow_redirects=False)
    assert new.status_code == 303
    assert editor.post("/admin/knowledge/pet-license/publish", follow_redirects=False).status_code == 303
    assert live(editor).kb.faq("pet-license/fees")[1].variants[0] == "狗证多少钱"


def test_regression_check_shows_which_answers_change(editor: Any, parts: Any) -> None:
    kb = parts.kb
    faq = overview_faq(kb, ITEM)
    slug = faq.id.split("/", 1)[1]
    editor.post(f"/admin/knowledge/{ITEM}/faq/{slug}", data=faq_form(kb, faq.id, answer="只改答案"))
    quick = editor.post(f"/admin/api/knowledge/{ITEM}/check").json()
    # The answer channel matches questions against answers: an answer-only edit is checked too (it moves nothing here).
    assert quick["index_touched"] is True and quick["changes"] == [] and quick["checked"] > 1000
    other = kb.items[ITEM].faqs[2]
    odd = ["火星移民签证怎么办", "火星签证材料", "去火星要签证吗", "火星签证多久", "火星签证在哪办"]
    r = editor.post(f"/admin/knowledge/{ITEM}/faq/{other.id.split('/', 1)[1]}",
                    data=faq_form(kb, other.id, question="火星移民签证怎么办理？", variants="\n".join(odd)))
    assert r.status_code in (200, 303)
    staff_of(editor).questions.add(other.question, other.id, "editor")
    report = editor.post(f"/admin/api/knowledge/{ITEM}/check").json()
    assert report["index_touched"] is True
    changed = {c["text"]: c for c in report["changes"]}
    assert other.question in changed and changed[other.question]["verdict"] == "worse"
    assert changed[other.question]["before"]["faq_id"] == other.id
    assert any(c["after"]["faq_id"] == other.id for c in report["changes"] if c["text"] in odd)
    # nothing live moved: the check works on a copy
    assert live(editor).nlu.parse(other.question).ranking[0].faq_id == other.id
    assert live(editor).kb.items[ITEM].faqs[2] == other


def test_judge_agrees_with_the_pipeline(parts: Any) -> None:
    from assistant.staff.candidate import Judge

    kb, pipe = parts.kb, parts.pipeline
    judge = Judge(pipe)
    texts = [t for _, f in kb.faqs[::7] for t in (f.question, *f.variants[:2])] + ["今天天气怎么样", "你好", "营业执照丢了"]
    for p in judge.prepare(texts):
        parsed = pipe.parse(p.text)
        answer = judge.answer(pipe.retriever, p)
        assert answer.intent == parsed.intent.name, p.text
        assert answer.faq_id == (parsed.ranking[0].faq_id if parsed.ranking else None), p.text


def test_placeholders_page_lists_what_needs_real_content(editor: Any) -> None:
    from knowledge.provenance import pending_content

    kb = live(editor).kb
    page = editor.get("/admin/placeholders")
    assert page.status_code == 200, page.text
    pending = pending_content(kb)
    assert pending and page.text.count('<tr>\n    <td><a href="/admin/knowledge/') == len(pending)
    hall = next(p for p in pending if p.item_id == "service-hall")
    assert "咨询电话" in hall.group_labels and "办理地点" in hall.group_labels
    row = page.text[page.text.index('href="/admin/knowledge/service-hall"'):]
    row = row[:row.index("</tr>")]
    assert "、".join(hall.group_labels) in row
    example_faq = next(p for p in pending if p.faqs)
    slug = example_faq.faqs[0].split("/", 1)[1]
    assert f'href="/admin/knowledge/{example_faq.item_id}/faq/{slug}"' in page.text
    assert 'href="/admin/placeholders"' in editor.get("/admin/knowledge").text
