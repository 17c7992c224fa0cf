"""DialogueManager behaviour beyond single conversations: concurrency, privacy, feedback, the turns log,
message limits, and running the actions over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

LOST = {
    "a": {"company_name": "青岛明远餐饮有限公司", "uscc": "91370211MA3C1234XN", "contact_name": "张海",
          "contact_phone": "13812345678"},
    "b": {"company_name": "青岛海韵书店有限公司", "uscc": "91370200MA3ABCDE1M", "contact_name": "李明",
          "contact_phone": "13900001111"},
}


def _answers(d: dict[str, str], license_type: str, number: str) -> list[str]:
    return [d["company_name"], d["uscc"], license_type, number, "正本", "2026-11-01", "搬迁时遗失", d["contact_name"],
            d["contact_phone"], "确认提交"]


def test_two_concurrent_conversations_do_not_mix(dm: Any, filings: Any) -> None:
    a = ["/start_lost_notice", *_answers(LOST["a"], "食品经营许可证", "JY13702110012345")]
    b = ["/start_lost_notice", *_answers(LOST["b"], "出版物经营许可证", "新出发鲁字第370211001号")]

    async def run() -> list[Any]:
        last: list[Any] = []
        for ta, tb in zip(a, b, strict=True):
            last = await asyncio.gather(dm.handle("sender-a", ta), dm.handle("sender-b", tb))
        return last

    ra, rb = asyncio.run(run())
    ida = dm.store.load("sender-a").slots["filing_id"]
    idb = dm.store.load("sender-b").slots["filing_id"]
    assert ida != idb and ida in ra.messages[0].text and idb in rb.messages[0].text
    fa, fb = filings.get(ida), filings.get(idb)
    assert fa.data["company_name"] == LOST["a"]["company_name"] and fa.data["license_type"] == "食品经营许可证"
    assert fb.data["company_name"] == LOST["b"]["company_name"] and fb.data["license_type"] == "出版物经营许可证"


def test_one_sender_is_handled_one_message_at_a_time(dm: Any) -> None:
    async def run() -> None:
        await asyncio.gather(*(dm.handle("busy", "你好") for _ in range(6)))

    asyncio.run(run())
    state = dm.store.load("busy")
    assert sum(1 for e in state.events if e["event"] == "user") == 6  # no update lost
    assert len(dm.turns.for_sender("busy")) == 6
    assert not dm._locks  # locks of idle senders are dropped


def test_turns_log_what_was_understood(dm: Any) -> None:
    asyncio.run(dm.handle("t", "需要带什么材料"))
    asyncio.run(dm.handle("t", "执照"))
    asyncio.run(dm.handle("t", "转人工"))
    answered, unsure, handoff = dm.turns.for_sender("t")
    assert answered.intent == "ask_service" and answered.faq_id == "license-loss-notice/materials"
    assert answered.faq_score and answered.faq_score > 0.5 and not answered.fallback
    assert answered.messages[0]["custom"]["type"] == "answer_card" and answered.normalized
    assert unsure.fallback and not unsure.handoff
    assert handoff.handoff and handoff.intent == "human_handoff"
    review = {t.turn_id for t in dm.turns.needing_review()}
    assert {unsure.turn_id, handoff.turn_id} <= review and answered.turn_id not in review


def test_feedback_reset_and_export(dm: Any) -> None:
    result = asyncio.run(dm.handle("kiosk-1", "你好"))
    assert dm.record_feedback("kiosk-1", result.turn_id, 1)
    assert not dm.record_feedback("someone-else", result.turn_id, -1)
    assert not dm.record_feedback("kiosk-1", result.turn_id, 5)
    assert not dm.record_feedback("kiosk-1", "no-such-turn", -1)
    exported = dm.export("kiosk-1")
    assert exported["state"]["sender_id"] == "kiosk-1"
    assert [t["feedback"] for t in exported["turns"]] == [1]
    json.dumps(exported, ensure_ascii=False)
    asyncio.run(dm.handle("kiosk-1", "/start_lost_notice"))
    asyncio.run(dm.handle("kiosk-1", "青岛明远餐饮有限公司"))
    dm.reset("kiosk-1")
    assert dm.store.load("kiosk-1") is None and dm.turns.for_sender("kiosk-1") == []
    assert dm.export("kiosk-1") == {"sender_id": "kiosk-1", "state": None, "turns": []}
    result = asyncio.run(dm.handle("kiosk-1", "青岛明远餐饮有限公司"))
    assert "统一社会信用代码" not in (result.messages[0].text or "")  # the form is gone


@pytest.mark.parametrize(("text", "fragment"), [("", "还没有输入"), ("   ", "还没有输入"), ("啊" * 50, "最多能读 20 个字")])
def test_empty_and_oversized_messages(make_dm: Callable[..., Any], text: str, fragment: str) -> None:
    dm = make_dm(max_message_chars=20)
    result = asyncio.run(dm.handle("x", text))
    assert fragment in result.messages[0].text
    (turn,) = dm.turns.for_sender("x")
    assert turn.fallback and len(turn.user_text) <= 20


def test_actions_over_http(make_dm: Callable[..., Any], make_settings: Callable[..., Any], demo_kb: Any,
                           filings: Any) -> None:
    """With action_endpoint_url set, the dialogue calls the action server over HTTP (here: in-memory ASGI)."""
    from actions.client import HttpActionClient
    from actions.serve import create_action_app

    app = create_action_app(make_settings(), kb=demo_kb, filings=filings)

    async def run() -> list[Any]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://actions") as client:
                dm = make_dm(actions=HttpActionClient("http://actions/webhook", client=client),
                             action_endpoint_url="http://actions/webhook")
                texts = ["/start_lost_notice", *_answers(LOST["a"], "食品经营许可证", "JY13702110012345")]
                return [await dm.handle("h", t) for t in texts]

    results = asyncio.run(run())
    card = results[-1].messages[0].custom
    assert card["type"] == "receipt"
    assert filings.get(card["filing_id"]).data["uscc"] == LOST["a"]["uscc"]


def test_http_client_is_used_when_configured(make_dm: Callable[..., Any]) -> None:
    from actions.client import HttpActionClient

    dm = make_dm(action_endpoint_url="http://127.0.0.1:5055/webhook")
    assert isinstance(dm.runner.client, HttpActionClient)
    assert dm.runner.client.url == "http://127.0.0.1:5055/webhook"


def test_action_server_down_gives_a_friendly_answer(make_dm: Callable[..., Any]) -> None:
    from actions.client import HttpActionClient

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def run() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
            dm = make_dm(actions=HttpActionClient("http://down/webhook", client=client))
            return await dm.handle("d", "需要带什么材料")

    result = asyncio.run(run())
    assert "系统暂时出了点问题" in result.messages[0].text


def test_the_topic_in_focus_is_remembered_and_let_go(dm: Any, clock: Any) -> None:
    from assistant.dialogue.topic import current_focus

    kb = dm.knowledge.current.kb
    asyncio.run(dm.handle("f", '/ask_faq{"faq_id": "food-business-license/fees"}'))
    state = dm.store.load("f")  # persisted with the rest of the state
    assert (state.focus_service, state.focus_faq) == ("food-business-license", "food-business-license/fees")
    asyncio.run(dm.handle("f", "谢谢"))  # small talk leaves it
    focus = current_focus(dm.store.load("f"), kb, clock())
    assert focus is not None and focus.service_id == "food-business-license"
    clock.advance(minutes=dm.focus_minutes + 1)  # a long pause lets it go
    assert current_focus(dm.store.load("f"), kb, clock()) is None
    asyncio.run(dm.handle("f", "/start_medical_validation"))  # a filing form puts its own service in focus
    focus = current_focus(dm.store.load("f"), kb, clock())
    assert focus is not None and focus.service_id == "medical-institution-validation"


def test_a_question_about_one_service_left_unanswered_keeps_that_service_in_focus(dm: Any, clock: Any) -> None:
    """A `none` the NLU found still about one service (`Match.about`) puts the service, no FAQ, in focus; a `none`
    about nothing in particular leaves the focus alone."""
    from dataclasses import replace

    from assistant.dialogue.runner import Turn
    from assistant.dialogue.state import DialogueState
    from assistant.dialogue.topic import remember
    from assistant.dialogue.understanding import UserMessage
    from nlu.types import Match

    parse = dm.knowledge.current.nlu.parse("医疗机构校验")
    state = DialogueState.new("about", clock())
    for about, want in (("medical-institution-validation", "medical-institution-validation"), (None, None)):
        state.focus_service = None
        unanswered = replace(parse, intent=replace(parse.intent, name="ask_service"), match=Match("none", "test", about=about))
        remember(Turn(state, UserMessage.of("医疗机构校验", unanswered), clock()))
        assert (state.focus_service, state.focus_faq) == (want, None)


def test_an_older_stored_state_without_a_focus_still_loads(dm: Any) -> None:
    from assistant.dialogue.state import DialogueState

    asyncio.run(dm.handle("old", "你好"))
    raw = json.loads(dm.store.load("old").model_dump_json())
    for key in ("focus_service", "focus_faq", "focus_at"):
        raw.pop(key)
    state = DialogueState.model_validate_json(json.dumps(raw))
    assert state.focus_service is None and state.focus_at is None
