"""An unanswered question still about one service (`retrieval.about`): the honest referral, then that service's
closest entries as buttons — never an answer, never for a department's matter or a document."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def _say(demo_kb: Any, retrieval: dict[str, Any]) -> dict[str, Any]:
    from actions.common import ActionDeps
    from actions.faq import AnswerFaq
    from assistant.dialogue.responses import Responses

    latest = {"text": "这个证能塑封吗", "intent": {"name": "ask_service", "confidence": 0.9}, "entities": [],
              "retrieval": retrieval}
    dispatcher = CollectingDispatcher()
    AnswerFaq(ActionDeps(knowledge=lambda: demo_kb)).run(
        dispatcher, Tracker("s1", {}, latest, [], False, None, {}, "action_listen"),
        {"responses": Responses.load().table})
    (msg,) = dispatcher.messages
    return msg


def _ranking(demo_kb: Any) -> list[dict[str, Any]]:
    mine = demo_kb.items["medical-institution-validation"].faqs
    other = demo_kb.items["license-loss-notice"].faqs[0]
    rows = [mine[0], other, mine[1], mine[0], mine[2], mine[3]]  # another service's entry and a repeat in between
    return [{"service_id": f.id.split("/")[0], "faq_id": f.id, "question": f.question, "score": 0.6} for f in rows]


def test_the_service_a_none_is_about_offers_its_closest_entries(demo_kb: Any) -> None:
    mine = demo_kb.items["medical-institution-validation"]
    msg = _say(demo_kb, {"ranking": _ranking(demo_kb), "match": "none", "about": mine.id})
    titles = [b["title"] for b in msg["buttons"]]
    assert titles == [mine.faqs[0].question, mine.faqs[1].question, mine.faqs[2].question, "转人工"], titles
    assert msg["custom"]["type"] == "referral" and msg["custom"]["service_id"] == mine.id
    assert [r["faq_id"] for r in msg["custom"]["related"]] == [f.id for f in mine.faqs[:3]]
    assert "还没有准确的答案" in msg["text"] and mine.name in msg["text"]
    assert "开始办理" not in titles and "answer" not in msg["custom"]


def test_a_department_matter_or_a_document_gets_the_referral_alone(demo_kb: Any) -> None:
    about = "medical-institution-validation"
    for extra in ({"referral": "social-insurance"}, {"documents": ["身份证"]}):
        msg = _say(demo_kb, {"ranking": _ranking(demo_kb), "match": "none", "about": about, **extra})
        assert [b["title"] for b in msg["buttons"]] == ["转人工"], extra
        assert "related" not in msg["custom"]


def test_a_none_about_nothing_or_an_unknown_service_gets_the_referral_alone(demo_kb: Any) -> None:
    for extra in ({}, {"about": "no-such-service"}):
        msg = _say(demo_kb, {"ranking": _ranking(demo_kb), "match": "none", **extra})
        assert [b["title"] for b in msg["buttons"]] == ["转人工"], extra
        assert "service_id" not in msg["custom"]
