"""Rasa's REST channel end to end: POST /webhooks/rest/webhook on the whole app (ngram NLU, SQLite)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

URL = "/webhooks/rest/webhook"


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def say(client: TestClient, sender: str, message: Any) -> list[dict[str, Any]]:
    resp = client.post(URL, json={"sender": sender, "message": message})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert isinstance(body, list) and body
    for m in body:
        assert m["recipient_id"] == sender
        assert set(m) <= {"recipient_id", "text", "buttons", "image", "custom"}
        assert m.get("text") or m.get("custom") or m.get("buttons")
    return body


def test_greeting_has_rasa_shape(client: TestClient) -> None:
    (msg,) = say(client, "user-42", "你好")
    assert msg["recipient_id"] == "user-42" and "灵灵" in msg["text"]
    assert "buttons" not in msg and "custom" not in msg
    assert client.get("/webhooks/rest/").json() == {"status": "ok"}


def test_lost_notice_end_to_end(client: TestClient, make_client: Callable[..., TestClient]) -> None:
    steps = ["/start_lost_notice", "青岛明远餐饮有限公司", "91370211MA3C1234XN", "/inform{\"license_type\": \"食品经营许可证\"}",
             "JY13702110012345", "正本", "2026-11-01", "搬迁办公场所时遗失", "张海", "13812345678"]
    for text in steps:
        body = say(client, "rest-1", text)
    readback = body[-1]
    assert readback["custom"]["type"] == "readback"
    assert [b["payload"] for b in readback["buttons"]] == ["/affirm", "/correct", "/deny"]
    body = say(client, "rest-1", "确认提交")
    receipt = body[-1]["custom"]
    assert receipt["type"] == "receipt" and receipt["kind"] == "lost_notice" and receipt["status"] == "submitted"
    assert receipt["filing_id"].startswith("LN")
    store = client.app.state.services.filings
    assert store.get(receipt["filing_id"]).data["company_name"] == "青岛明远餐饮有限公司"
    again = say(client, "rest-1", "确认提交")[-1]["custom"]
    assert again["filing_id"] == receipt["filing_id"]


def test_payload_with_entities_prefills(client: TestClient) -> None:
    body = say(client, "rest-2", '/start_lost_notice{"license_type": "食品经营许可证"}')
    state = client.app.state.services.dialogue.store.load("rest-2")
    assert state.slots["license_type"] == "食品经营许可证"
    assert "单位全称" in body[-1]["text"]


def test_answer_card_buttons(client: TestClient) -> None:
    (msg,) = say(client, "rest-3", "需要带什么材料")
    card = msg["custom"]
    assert card["type"] == "answer_card" and card["service_id"] == "license-loss-notice"
    assert msg["text"] == card["answer"]
    assert any(b["payload"].startswith("/ask_faq{") for b in msg["buttons"])
    assert {"title": "开始办理", "payload": "/start_lost_notice"} in msg["buttons"]
    faq_payload = next(b["payload"] for b in msg["buttons"] if b["payload"].startswith("/ask_faq"))
    (follow,) = say(client, "rest-3", faq_payload)
    assert follow["custom"]["faq_id"] in faq_payload


def test_overview_question_gets_the_whole_guide(client: TestClient) -> None:
    (msg,) = say(client, "rest-4", '/ask_faq{"faq_id": "medical-institution-validation/what-is-it"}')
    card = msg["custom"]
    for key in ("materials", "steps", "time_limit", "where", "online_entry", "hours", "phone"):
        assert key in card
    assert {"title": "开始办理", "payload": "/start_medical_validation"} in msg["buttons"]


@pytest.mark.parametrize("message", ["", "   ", None, "字" * 5000])
def test_empty_or_oversized_message_is_a_friendly_reply(client: TestClient, message: Any) -> None:
    (msg,) = say(client, "rest-5", message)
    assert "内容" in msg["text"] or "最多能读" in msg["text"]


def test_malformed_requests(client: TestClient) -> None:
    assert client.post(URL, content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 422
    assert client.post(URL, json={"sender": 42, "message": "你好"}).status_code == 422
    assert client.post(URL, json={"sender": "", "message": "你好"}).status_code == 422


def test_senders_are_separate(client: TestClient) -> None:
    say(client, "kiosk-a", "/start_lost_notice")
    body = say(client, "kiosk-b", "青岛明远餐饮有限公司")
    assert "统一社会信用代码" not in body[-1].get("text", "")


def test_lone_surrogates_are_not_a_server_error(client: TestClient) -> None:
    body = '{"sender": "sur\\ud800", "message": "\\ud800你好", "metadata": {"k": "\\udc00"}}'
    resp = client.post(URL, content=body.encode(), headers={"Content-Type": "application/json"})
    assert resp.status_code == 422, resp.text  # pydantic refuses strings that are not valid Unicode


def test_example_facts_are_never_sent_as_true(client: TestClient) -> None:
    """Facts the knowledge base marks `example` (placeholder phones, addresses ...) are left out of the card and
    named in `pending`; the card says they are being confirmed (issue 16)."""
    from knowledge.provenance import GROUP_LABELS, example_groups

    kb = client.app.state.services.knowledge.current.kb
    for sender, item_id in (("ex-1", "service-hall"), ("ex-2", "business-startup")):
        item = kb.items[item_id]
        overview = next(f for f in item.faqs if f.topic.value == "overview")
        (msg,) = say(client, sender, f'/ask_faq{{"faq_id": "{overview.id}"}}')
        card = msg["custom"]
        held = set(example_groups(item))
        assert {"phone", "where", "hours"} <= held
        assert card["phone"] is None and card["where"] is None and card["hours"] is None
        assert [p["group"] for p in card["pending"]] == [g for g in ("materials", "steps", "time_limit", "where",
                                                                     "online_entry", "hours", "phone") if g in held]
        assert all(p["label"] == GROUP_LABELS[p["group"]] for p in card["pending"])
        assert item.phone not in str(card) and "0532-0000" not in str(card)
        if "materials" not in held:
            assert [m["name"] for m in card["materials"]] == [m.name for m in item.materials]
        assert [b["statute"] for b in card["legal_basis"]] == [b.statute for b in item.legal_basis]
