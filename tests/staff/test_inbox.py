"""The inbox and the hit test (API level): unanswered and 👎 turns grouped, turned into variants, dismissed."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.staff.conftest import csrf_of, login, staff_of

UNKNOWN = "我家的猫咪今天不肯吃猫粮怎么办"


def sender() -> str:
    return uuid.uuid4().hex


def ask(client: Any, text: str, who: str | None = None) -> dict[str, Any]:
    r = client.post("/api/chat", json={"sender": who or sender(), "message": text})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def editor(client: Any, users: dict[str, Any]) -> Any:
    login(client, "editor")
    client.headers["X-CSRF-Token"] = csrf_of(client)
    return client


def cluster_ids(page: str, text: str) -> str:
    m = re.search(r'<strong class="cluster-text">' + re.escape(text) + r'</strong>.*?name="turn_ids" value="([^"]+)"', page, re.S)
    assert m, f"no cluster for {text!r}"
    return m.group(1)


def test_fallbacks_and_downvotes_are_grouped_then_become_variants(editor: Any, parts: Any) -> None:
    for _ in range(2):
        ask(editor, UNKNOWN)
    ask(editor, UNKNOWN + "？")  # the same question, normalised alike or clustered by vector
    who = sender()
    downvoted = "营业执照年报去哪里弄"
    turn = ask(editor, downvoted, who)
    assert editor.post("/api/feedback", json={"sender": who, "turn_id": turn["turn_id"], "rating": -1}).status_code == 200
    page = editor.get("/admin/inbox")
    assert page.status_code == 200
    m = re.search(r'<article class="cluster" data-count="(\d+)">\s*<header>\s*<span class="count">\d+</span><span>次</span>\s*'
                  r'<strong class="cluster-text">' + re.escape(UNKNOWN), page.text)
    assert m and int(m.group(1)) == 3, page.text[:3000]
    assert downvoted in page.text and "用户点踩" in page.text and "未能回答" in page.text
    # add the unknown question as a variant of a FAQ: a draft, then publish, then it hits
    target = parts.kb.items["senior-assistance"].faqs[0].id
    r = editor.post("/admin/inbox/variant", data={"turn_ids": cluster_ids(page.text, UNKNOWN), "faq_id": target, "text": UNKNOWN},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/knowledge/senior-assistance")
    live = editor.app.state.services.knowledge
    assert live.current.nlu.parse(UNKNOWN).ranking[0].faq_id != target  # only a draft so far
    assert editor.post("/admin/knowledge/senior-assistance/publish", follow_redirects=False).status_code == 303
    assert live.current.nlu.parse(UNKNOWN).ranking[0].faq_id == target
    after = editor.get("/admin/inbox").text
    assert f'<strong class="cluster-text">{UNKNOWN}</strong>' not in after
    entries, _ = staff_of(editor).audit.entries(action="inbox_variant")
    assert entries and entries[0].target == target


def test_dismissed_questions_stay_dismissed(editor: Any) -> None:
    text = "帮我订一张去北京的机票"
    ask(editor, text)
    page = editor.get("/admin/inbox").text
    assert editor.post("/admin/inbox/dismiss", data={"turn_ids": cluster_ids(page, text), "text": text},
                       follow_redirects=False).status_code == 303
    assert f">{text}<" not in editor.get("/admin/inbox").text
    ask(editor, text)  # asked again: still dismissed
    assert f">{text}<" not in editor.get("/admin/inbox").text


def test_new_faq_draft_from_the_inbox(editor: Any) -> None:
    text = "公积金贷款额度怎么算"
    ask(editor, text)
    page = editor.get("/admin/inbox").text
    r = editor.post("/admin/inbox/new-faq", data={"turn_ids": cluster_ids(page, text), "item_id": "enterprise-financing", "text": text},
                    follow_redirects=False)
    assert r.status_code == 303 and "/admin/knowledge/enterprise-financing/faq/q-" in r.headers["location"]
    form = editor.get(r.headers["location"])
    assert text in form.text and "至少需要 5 条" in form.text  # a draft to complete before publishing


def test_hit_test_shows_channels_and_the_reply_and_leaves_nothing(editor: Any, parts: Any) -> None:
    dm = editor.app.state.services.dialogue
    before = len(dm.turns.needing_review(limit=1000))
    faq = parts.kb.items["license-loss-notice"].faqs[0]
    r = editor.post("/admin/api/hittest", json={"text": faq.question})
    assert r.status_code == 200
    d = r.json()
    assert d["intent"]["name"] == "ask_service" and d["ranking"][0]["faq_id"] == faq.id
    assert {"dense", "lexical", "score", "boost", "matched"} <= set(d["ranking"][0])
    assert d["normalized"] and d["intent_ranking"] and d["timings_ms"]
    assert d["reply"] and d["reply"][0]["custom"]["faq_id"] == faq.id
    r = editor.post("/admin/api/hittest", json={"text": "营业执照号91370211MA3C4X5Y6Z的餐馆食品经营许可证丢了"})
    assert any(e["entity"] == "license_type" for e in r.json()["entities"])
    editor.post("/admin/api/hittest", json={"text": UNKNOWN})
    # no conversation or turn left behind
    assert len(dm.turns.needing_review(limit=1000)) == before
    with staff_of(editor).db.connect() as conn:
        from sqlalchemy import text as sql

        assert conn.execute(sql("select count(*) from turns where channel = 'hittest'")).scalar() == 0
        assert conn.execute(sql("select count(*) from conversations where sender_id like 'hittest-%'")).scalar() == 0


def inbox_texts(page: str) -> set[str]:
    """The questions the inbox shows (each group's text and its other wordings)."""
    found = set(re.findall(r'<strong class="cluster-text">(.*?)</strong>', page))
    for block in re.findall(r'<ul class="texts">(.*?)</ul>', page, re.S):
        found |= {re.sub(r"（\d+ 次）$", "", t) for t in re.findall(r"<li>(.*?)</li>", block)}
    return found


FORM_ANSWERS = ["青岛海滨味道餐饮有限公司", "911522010783762860", "食品经营许可证", "JY13702110012345", "昨天",
                "搬家时把正本弄丢了", "王建国", "0532-86887766"]


def test_form_answers_are_not_questions(editor: Any) -> None:
    """Only questions reach the inbox and the answer rate: never a form's answers (names, digits, companies)."""
    from sqlalchemy import text as sql

    from assistant.privacy.masking import mask_text
    from assistant.staff.analytics import figures

    def masked(text: str) -> str:
        return mask_text(text, landlines=True)  # as the turn log stores what people typed

    who = sender()
    ask(editor, "/start_lost_notice", who)
    for answer in FORM_ANSWERS:
        ask(editor, answer, who)
    ask(editor, "取消", who)
    ask(editor, "查进度", who)
    ask(editor, "LN20990101001", who)
    ask(editor, "2345", who)  # the phone's last four
    ask(editor, UNKNOWN, who)
    st = staff_of(editor)
    with st.db.connect() as conn:
        kinds = dict(conn.execute(sql("select user_text, handled_as from turns where sender_id = :s"), {"s": who}).all())
    assert {kinds[masked(a)] for a in FORM_ANSWERS} == {"form"} and kinds["2345"] == "form"  # masked at the source
    assert kinds[UNKNOWN] == "question" and kinds["查进度"] == "request" and kinds["/start_lost_notice"] == "request"
    shown = inbox_texts(editor.get("/admin/inbox").text)
    assert UNKNOWN in shown
    assert not shown & {*map(masked, FORM_ANSWERS), "2345", "LN20990101001"}, shown
    kb = st.live.current.kb
    f = figures(st.db, kb, days=7, today=st.today())
    assert f.questions == 2 and f.not_questions == len(FORM_ANSWERS) + 3  # 查进度 and the question; not 取消, the id, 2345
    # The same turns recorded without `handled_as` (before it was kept) did reach the inbox: masked.
    with st.db.begin() as conn:
        conn.execute(sql("update turns set handled_as = null where sender_id = :s"), {"s": who})
    legacy = editor.get("/admin/inbox").text
    assert inbox_texts(legacy) & {*map(masked, FORM_ANSWERS), "2345"}, "the filter above would not have mattered"
    assert "86887766" not in legacy


def test_nothing_is_preset_as_a_variant_target(editor: Any) -> None:
    ask(editor, "营业执照年检要带什么东西")
    page = editor.get("/admin/inbox").text
    assert 'name="faq_id" list="faq-ids" value=""' in page and 'data-fill="v-faq-1"' in page
    assert '<option value="">请选择事项</option>' in page and " selected>" not in page.split('name="item_id"')[1].split("</select>")[0]


def test_hit_test_as_a_follow_up_on_a_focus(editor: Any) -> None:
    r = editor.post("/admin/api/hittest", json={"text": "要多久", "focus": "food-business-license"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["focus"]["service_id"] == "food-business-license" and d["focus"]["service_name"] == "食品经营许可证"
    assert d["focus"]["explain"] and isinstance(d["focus"]["applied"], bool)
    r = editor.post("/admin/api/hittest", json={"text": "要多久？收费吗？", "focus": "food-business-license/fees"})
    assert r.status_code == 200, r.text
    assert [p["text"] for p in r.json()["parts"]] == ["要多久", "收费吗"]
    r = editor.post("/admin/api/hittest", json={"text": "要多久", "focus": "no-such-service"})
    assert r.status_code == 422 and "没有这个事项" in r.json()["message"]
    assert "对话焦点" in editor.get("/admin/hittest").text
