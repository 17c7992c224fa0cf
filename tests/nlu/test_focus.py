"""nlu/focus.py: a follow-up without its own subject is ranked within the service in focus; a message naming
another service, small talk and clear out-of-scope messages are not. Mechanics on the ngram pipeline; the
behaviour with the real encoder is in tests/dialogue/golden/focus_followups.yml."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from knowledge.models import FaqTopic
from nlu.focus import (
    FocusConfig,
    FocusResolver,
    SubjectIndex,
    aspects,
    bare_aspect,
    followup_intent,
    looks_like_question,
)
from nlu.normalize import normalize
from nlu.types import Entity, Focus, IntentScore

DAY = dt.date(2026, 11, 20)
PUB = "publication-business-license"


@pytest.fixture(scope="module")
def subjects(demo_kb: Any) -> SubjectIndex:
    return SubjectIndex(demo_kb)


@pytest.fixture
def pipe(ngram_pipeline_copy: Any, demo_kb: Any) -> Any:
    """The ngram pipeline without the similarity floor (chosen for the real encoder's similarities)."""
    ngram_pipeline_copy.focus = FocusResolver(demo_kb, FocusConfig(min_evidence=0.0))
    return ngram_pipeline_copy


@pytest.mark.parametrize(("text", "named"), [
    ("要多久", set()),
    ("在哪个窗口办", set()),
    ("大厅在几楼", set()),  # 大厅 is asked about everywhere: not the hall's subject
    ("网上能办不", set()),  # no piece of a function word ("办不" from 办不成事)
    ("出版物的呢", {PUB}),  # a piece of the names used by one service alone
    ("它丢了呢", {"license-loss-notice"}),  # a cue word
    ("那副本呢", {"license-loss-notice"}),
    ("跨域通办收费吗", {"cross-region-service"}),  # a whole alias
])
def test_what_a_message_names(subjects: SubjectIndex, text: str, named: set[str]) -> None:
    assert subjects.services(normalize(text).text) == (frozenset(named), False)


def test_licenses_name_their_own_service(subjects: SubjectIndex) -> None:
    food = Entity("license_type", "食品经营许可证", 0, 7, "dictionary")
    drugs = Entity("license_type", "药品经营许可证", 0, 7, "dictionary")
    radiation = Entity("validation_item", "放射诊疗许可证", 0, 7, "dictionary")
    assert subjects.services("", [food]) == (frozenset({"food-business-license"}), False)
    assert subjects.services("", [radiation]) == (frozenset({"medical-institution-validation"}), False)
    assert subjects.services("", [drugs]) == (frozenset(), True)  # a license with no service of its own
    assert subjects.covered("license-loss-notice", "", [food, drugs])  # the loss notice accepts both
    assert not subjects.covered("food-business-license", "", [drugs])
    assert subjects.covered("license-loss-notice", "劳务派遣的算不算", [])  # a piece of a license it accepts
    assert not subjects.covered("license-loss-notice", "那医疗机构校验呢", [])  # another service's own name
    assert subjects.bare("那食品许可证呢") and subjects.bare("出版物的呢") and not subjects.bare("那食品许可证新办呢")


def test_aspects_and_question_shape() -> None:
    assert aspects("去哪交材料") == {FaqTopic.WHERE}  # the question word decides
    assert aspects("材料要原件还是复印件") == {FaqTopic.MATERIALS}
    assert aspects("周末能办吗") == {FaqTopic.WHERE}  # opening hours: the `where` entries state them
    assert FaqTopic.FEES not in aspects("能省多少钱")
    assert looks_like_question("副本呢") and looks_like_question("收费") and looks_like_question("账号用谁的还是单位的")
    assert not looks_like_question("好的") and not looks_like_question("青岛明远餐饮有限公司")


def test_a_follow_up_is_ranked_within_the_focus(pipe: Any) -> None:
    r = pipe.parse("要多久", DAY, Focus(PUB))
    assert r.focus is not None and r.focus.applied and r.focus.reason == "follow-up" and r.focus.service_id == PUB
    assert r.intent.name == "ask_service"
    assert len(r.ranking) >= 3 and {h.service_id for h in r.ranking} == {PUB}
    assert [h.score for h in r.ranking] == sorted((h.score for h in r.ranking), reverse=True)
    wire = r.to_wire()["retrieval"]["focus"]
    assert wire == {"service_id": PUB, "faq_id": None, "applied": True, "reason": "follow-up",
                    "resolved_service_id": PUB}


@pytest.mark.parametrize(("text", "reason"), [
    ("劳务派遣经营许可证需要什么材料", "names its own subject"),
    ("你好", "not a question"),
    ("好的", "not a question"),
    ("这是一段很长很长的话，" * 4 + "要多久", "long message"),
])
def test_what_is_not_a_follow_up(pipe: Any, text: str, reason: str) -> None:
    alone = pipe.parse(text, DAY)
    r = pipe.parse(text, DAY, Focus(PUB, f"{PUB}/fees"))
    assert r.focus is not None and not r.focus.applied and r.focus.reason == reason
    assert r.ranking == alone.ranking and r.intent == alone.intent


def test_an_unknown_focus_changes_nothing(pipe: Any) -> None:
    alone = pipe.parse("要多久", DAY)
    r = pipe.parse("要多久", DAY, Focus("no-such-service", "no-such-service/x"))
    assert r.focus is not None and r.focus.reason == "unknown service" and r.ranking == alone.ranking


def test_the_focus_is_part_of_the_cache_key(pipe: Any) -> None:
    alone = pipe.parse("要多久", DAY)
    focused = pipe.parse("要多久", DAY, Focus(PUB))
    assert alone.focus is None and focused.focus is not None
    assert pipe.cached("要多久", DAY) is alone
    assert pipe.cached("要多久", DAY, Focus(PUB)) is focused
    assert pipe.cached("要多久", DAY, Focus("food-business-license")) is None
    assert "focus" not in alone.to_wire()["retrieval"]


def test_elliptical_question_about_a_newly_named_service(pipe: Any) -> None:
    r = pipe.parse("那出版物的呢", DAY, Focus("labor-dispatch-license", "labor-dispatch-license/time-limit"))
    assert r.focus is not None and r.focus.applied and r.focus.reason == "same question, new subject"
    assert {h.service_id for h in r.ranking} == {PUB}


def test_several_questions_have_parts_that_follow_each_other(pipe: Any) -> None:
    text = "要多久？收费吗？"
    r = pipe.parse(text, DAY, Focus(PUB))
    assert [(p.start, p.end, p.parse.text) for p in r.parts] == [(0, 3, "要多久"), (4, 7, "收费吗")]
    for p in r.parts:
        assert p.parse.focus is not None and p.parse.focus.applied
        assert p.parse.ranking[0].service_id == PUB
    wire = r.to_wire()
    assert [p["text"] for p in wire["parts"]] == ["要多久", "收费吗"]
    assert wire["parts"][0]["start"] == 0 and wire["parts"][1]["retrieval"]["ranking"]
    assert pipe.parse("要多久", DAY).parts == ()  # one question: no parts


def test_out_of_scope_for_sure_is_not_a_follow_up(pipe: Any) -> None:
    r = pipe.parse("今天天气怎么样", DAY, Focus(PUB))
    assert r.intent.name == "out_of_scope"
    assert r.focus is not None and not r.focus.applied


def test_the_real_encoder_floor_keeps_unrelated_questions_out(ngram_pipeline: Any) -> None:
    r = ngram_pipeline.parse("要多久", DAY, Focus(PUB))  # ngram similarities are far below the floor
    assert r.focus is not None and r.focus.reason == "not about the focused service"


def test_a_knowledge_question_word_for_word_is_not_split(ngram_pipeline: Any, demo_kb: Any) -> None:
    faq = next(f for _, f in demo_kb.faqs if "？" in f.question.rstrip("？"))  # "…吗？在哪个系统？"
    assert ngram_pipeline.parse(faq.question, DAY).parts == ()


@pytest.mark.parametrize(("text", "top", "want"), [
    ("正本呢", "affirm", "ask_service"),  # elliptical: a question
    ("收费吗", "out_of_scope", "ask_service"),
    ("好吗", "affirm", None),  # a yes stays a yes
    ("你好呀", "greet", None),
])
def test_follow_up_intent(text: str, top: str, want: str | None) -> None:
    ranking = [IntentScore(top, 0.8), IntentScore("ask_service", 0.1)]
    got = followup_intent(text, ranking, 0.7, 0.45)
    assert (got.name if got else None) == want
    if got is not None:
        assert got.confidence == 0.7  # the focused entry's evidence


def test_search_service_scores_every_entry_once_and_follows_updates(pipe: Any, demo_kb: Any) -> None:
    retriever = pipe.retriever
    item = demo_kb.items[PUB]
    q = pipe.encoder.encode_query("要多久")
    hits = retriever.search_service("要多久", q, PUB)
    assert sorted(h.faq_id for h in hits) == sorted(f.id for f in item.faqs)
    faq = item.faqs[1]
    changed = faq.model_copy(update={"variants": [*faq.variants, "书报亭营业许可办多少天"]})
    twin = retriever.clone()
    twin.upsert_faq(item, changed)
    q2 = pipe.encoder.encode_query("书报亭营业许可办多少天")
    assert twin.search_service("书报亭营业许可办多少天", q2, PUB)[0].faq_id == faq.id
    assert twin.search_service("书报亭营业许可办多少天", q2, PUB)[0].matched == "书报亭营业许可办多少天"
    assert all(h.matched != "书报亭营业许可办多少天" for h in retriever.search_service("x", q2, PUB))


@pytest.mark.parametrize(("text", "bare"), [
    ("多少钱", True), ("要多久？", True), ("几点下班", True), ("请问收费吗", True), ("在哪办", True),
    ("一节课多少钱", False), ("手机多少钱", False), ("明天几点下雨", False), ("做蛋糕需要准备什么工具", False),
    ("你好", False), ("", False),
])
def test_bare_aspect_is_an_aspect_of_nothing_named(text: str, bare: bool) -> None:
    assert bare_aspect(text) is bare
