"""What a real Rasa server needs of the action door, without Rasa: bodies of a long conversation, payloads under
the names a Rasa domain declares, FAQ answers when the parse has no `retrieval` (Rasa's own NLU)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.settings import ACTION_BODY_BYTES

WIRE = Path(__file__).resolve().parents[1] / "contract" / "rasa_protocol" / "action_wire.jsonl"
RECORDS = [json.loads(line) for line in WIRE.read_text(encoding="utf-8").splitlines() if line.strip()]
HOURS_CALL = next(r["request"] for r in RECORDS if r["request"]["next_action"] == "action_query_office_hours")


@pytest.fixture
def web_client(make_client: Any) -> TestClient:
    return make_client()  # type: ignore[no-any-return]


@pytest.fixture
def standalone_client(tmp_path: Path, demo_kb: Any) -> Iterator[TestClient]:
    from actions.serve import create_action_app
    from assistant.settings import Settings

    app = create_action_app(Settings(data_dir=tmp_path, env="test"), kb=demo_kb)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        yield client


def padded_call(size: int) -> bytes:
    """The recorded office-hours call with its tracker grown to `size` bytes by user turns, as a long
    conversation makes it (Rasa sends every event with every call)."""
    call = copy.deepcopy(HOURS_CALL)
    turn = {"event": "user", "timestamp": 1795316487.2, "text": "请问营业执照遗失了要怎么登报声明", "parse_data": {
        "intent": {"name": "ask_service", "confidence": 0.93}, "entities": [], "text": "请问营业执照遗失了要怎么登报声明",
        "retrieval": {"ranking": [{"service_id": "license-loss-notice", "faq_id": "x", "question": "q" * 40,
                                   "score": 0.8, "channels": {"dense": 0.8, "lexical": 0.5}}] * 5}}}
    events = call["tracker"].setdefault("events", [])
    body = json.dumps(call, ensure_ascii=False).encode()
    one = len(json.dumps(turn, ensure_ascii=False).encode()) + 2
    events.extend([turn] * max(0, (size - len(body)) // one + 1))
    return json.dumps(call, ensure_ascii=False).encode()


@pytest.mark.parametrize("client_name", ["web_client", "standalone_client"])
def test_webhook_takes_the_body_of_a_long_conversation(client_name: str, request: pytest.FixtureRequest) -> None:
    client: TestClient = request.getfixturevalue(client_name)
    body = padded_call(400_000)  # ~100 turns: far beyond what the 64 KiB of the other doors allow
    assert len(body) > 64 * 1024 * 4
    resp = client.post("/webhook", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 200, resp.text
    assert "custom" in resp.json()["responses"][0]


@pytest.mark.parametrize("client_name", ["web_client", "standalone_client"])
def test_webhook_keeps_a_limit_of_its_own(client_name: str, request: pytest.FixtureRequest) -> None:
    client: TestClient = request.getfixturevalue(client_name)
    body = padded_call(ACTION_BODY_BYTES + 1000)
    resp = client.post("/webhook", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"] == "too_large"


def test_the_other_doors_keep_64_kib(web_client: TestClient) -> None:
    body = {"sender": "long", "message": "你好" + " " * 70_000}
    resp = web_client.post("/webhooks/rest/webhook", json=body)
    assert resp.status_code == 413, resp.text


def test_standalone_webhook_refuses_a_streamed_body_beyond_its_limit(tmp_path: Path, demo_kb: Any) -> None:
    from actions.serve import create_action_app
    from assistant.settings import Settings

    app = create_action_app(Settings(data_dir=tmp_path, env="test", action_body_bytes=100_000), kb=demo_kb)
    body = padded_call(150_000)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        chunks = (body[i:i + 8192] for i in range(0, len(body), 8192))  # no Content-Length: chunked
        resp = client.post("/webhook", content=chunks, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413, resp.text


# ---- payloads under the names a Rasa domain declares ----------------------------------------------------
def test_multi_select_card_names_a_declared_entity(demo_kb: Any) -> None:
    from actions.common import ActionDeps
    from actions.medical_validation import items_select
    from assistant.rasa_export import rasa_domain

    card = items_select(ActionDeps(knowledge=lambda: demo_kb))
    domain = rasa_domain()
    assert card["entity"] in domain["entities"]
    assert card["slot"] in domain["slots"]
    assert {"type": "from_entity", "entity": card["entity"]} in domain["slots"][card["slot"]]["mappings"]


# ---- action_answer_faq without `retrieval` --------------------------------------------------------------
def _tracker(text: str, parse_extra: dict[str, Any]) -> Tracker:
    latest = {"text": text, "intent": {"name": "ask_service", "confidence": 0.9}, "entities": [], **parse_extra}
    return Tracker("s1", {}, latest, [], False, None, {}, "action_listen")


def _run_faq(demo_kb: Any, tracker: Tracker, understand: Any) -> list[dict[str, Any]]:
    from actions.common import ActionDeps
    from actions.faq import AnswerFaq
    from assistant.dialogue.responses import Responses

    dispatcher = CollectingDispatcher()
    domain = {"responses": Responses.load().table}
    AnswerFaq(ActionDeps(knowledge=lambda: demo_kb, understand=understand)).run(dispatcher, tracker, domain)
    return dispatcher.messages


def test_faq_answer_asks_the_engine_when_the_parse_has_no_retrieval(demo_kb: Any) -> None:
    item = demo_kb.items["license-loss-notice"]
    faq = item.faqs[1]
    asked: list[str] = []

    def understand(text: str) -> list[dict[str, Any]]:
        asked.append(text)
        return [{"service_id": item.id, "faq_id": faq.id, "question": faq.question, "score": 0.9}]

    (msg,) = _run_faq(demo_kb, _tracker("遗失声明登报后多久能办好", {}), understand)
    assert asked == ["遗失声明登报后多久能办好"]
    assert msg["custom"]["faq_id"] == faq.id and msg["text"] == faq.answer


def test_faq_answer_without_an_engine_reading_says_it_did_not_understand(demo_kb: Any) -> None:
    (msg,) = _run_faq(demo_kb, _tracker("今天天气怎么样", {}), lambda text: [])
    assert not msg.get("custom") and msg["text"]


def test_faq_answer_trusts_our_parse_when_it_carries_retrieval(demo_kb: Any) -> None:
    def understand(text: str) -> list[dict[str, Any]]:
        raise AssertionError("the parse had `retrieval`: the engine must not be asked again")

    (msg,) = _run_faq(demo_kb, _tracker("随便问问", {"retrieval": {"ranking": []}}), understand)
    assert not msg.get("custom")


def test_live_knowledge_reads_service_questions_only(ngram_pipeline: Any, demo_kb: Any) -> None:
    from nlu.live import KnowledgeSnapshot, LiveKnowledge

    live = LiveKnowledge(KnowledgeSnapshot(demo_kb, ngram_pipeline))
    hits = live.service_ranking("医疗机构校验需要提交哪些材料")
    assert hits and hits[0]["service_id"] == "medical-institution-validation"
    assert live.service_ranking("你好") == []


def test_validation_items_as_rasa_fills_a_list_slot_from_a_list_entity(demo_kb: Any) -> None:
    from actions import validators as v

    names = [k.name for k in demo_kb.validation_items()[:2]]
    assert v.check_validation_items([names], demo_kb.validation_items()).value == names


def test_standalone_action_server_asks_a_lingling_nlu_server(tmp_path: Path, ngram_pipeline: Any, demo_kb: Any) -> None:
    from actions.serve import remote_understand
    from assistant.app import create_app
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot
    from tests.live_server import free_port, serve_in_thread

    (tmp_path / "state").mkdir()
    settings = Settings(data_dir=tmp_path / "state", env="test")
    live = serve_in_thread(create_app(settings, knowledge_factory=lambda _: KnowledgeSnapshot(demo_kb, ngram_pipeline)))
    try:
        understand = remote_understand(live.url)
        hits = understand("医疗机构校验需要提交哪些材料")
        assert hits and hits[0]["service_id"] == "medical-institution-validation"
        assert understand("你好") == []
    finally:
        live.stop()
    assert remote_understand(f"http://127.0.0.1:{free_port()}", timeout=2)("医疗机构校验需要提交哪些材料") == []
