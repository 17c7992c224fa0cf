"""The chat API of our pages and the security headers of the pages (no browser: TestClient)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from assistant.routes.chat import popular_services, qr_svg

SENDER = "t" * 16 + "0123456789abcdef"


def chat(client: Any, message: str, sender: str = SENDER, face: str = "portal") -> dict[str, Any]:
    r = client.post("/api/chat", json={"sender": sender, "message": message, "face": face})
    assert r.status_code == 200, r.text
    return r.json()


def dialogue(client: Any) -> Any:
    return client.app.state.services.dialogue


def test_chat_answers_in_rasa_wire_shape(make_client: Any) -> None:
    client = make_client()
    body = chat(client, "在西海岸新区开公司、办营业执照怎么办理？")
    assert re.fullmatch(r"[0-9a-f]{32}", body["turn_id"])
    assert body["messages"], body
    for msg in body["messages"]:
        assert msg["recipient_id"] == SENDER
        assert set(msg) <= {"recipient_id", "text", "buttons", "image", "custom"}
    card = next(m["custom"] for m in body["messages"] if (m.get("custom") or {}).get("type") == "answer_card")
    assert card["service_id"] == "business-startup"
    assert card["materials"] and card["legal_basis"]
    # its steps are still marked `example`: not sent as fact, named as being confirmed
    assert card["steps"] == [] and {"group": "steps", "label": "办理流程"} in card["pending"]


def test_same_dialogue_as_the_rest_channel(make_client: Any) -> None:
    client = make_client()
    chat(client, "我要登记遗失公告")
    # The REST channel continues the very conversation our page started (one dialogue manager).
    r = client.post("/webhooks/rest/webhook", json={"sender": SENDER, "message": "取消"})
    assert r.status_code == 200
    assert any("取消" in (m.get("text") or "") for m in r.json())


def test_message_over_the_limit_is_refused_kindly(make_client: Any) -> None:
    client = make_client(max_message_chars=50)
    r = client.post("/api/chat", json={"sender": SENDER, "message": "长" * 51})
    assert r.status_code == 413
    body = r.json()
    assert body["error"] == "too_large"
    assert "50" in body["message"] and "太长" in body["message"]
    assert dialogue(client).export(SENDER)["turns"] == []
    # Exactly at the limit is fine.
    assert client.post("/api/chat", json={"sender": SENDER, "message": "长" * 50}).status_code == 200


def test_control_characters_are_dropped(make_client: Any) -> None:
    client = make_client()
    chat(client, "食品\x00经营许可证\x1b怎么办理")
    assert dialogue(client).export(SENDER)["turns"][0]["user_text"] == "食品经营许可证怎么办理"
    r = client.post("/api/chat", json={"sender": SENDER, "message": "\x00\x01"})
    assert r.status_code == 422


def test_huge_body_is_refused_before_parsing(make_client: Any) -> None:
    client = make_client(max_message_chars=10)
    r = client.post("/api/chat", json={"sender": SENDER, "message": "x" * 200_000})
    assert r.status_code == 413


@pytest.mark.parametrize("payload", [
    {"sender": SENDER},
    {"message": "你好"},
    {"sender": "short", "message": "你好"},
    {"sender": "bad sender with spaces!!", "message": "你好"},
    {"sender": SENDER, "message": ""},
    {"sender": SENDER, "message": "   "},
    {"sender": SENDER, "message": "你好", "face": "tv"},
])
def test_invalid_chat_requests_are_422(make_client: Any, payload: dict[str, Any]) -> None:
    r = make_client().post("/api/chat", json=payload)
    assert r.status_code == 422
    assert r.json()["message"]  # a Chinese sentence for the user


def test_feedback_is_stored_with_the_turn(make_client: Any) -> None:
    client = make_client()
    turn = chat(client, "食品经营许可证怎么办理")["turn_id"]
    r = client.post("/api/feedback", json={"sender": SENDER, "turn_id": turn, "rating": -1})
    assert r.status_code == 200 and r.json()["ok"] is True
    turns = dialogue(client).export(SENDER)["turns"]
    assert [t["feedback"] for t in turns if t["turn_id"] == turn] == [-1]
    assert client.get("/api/history", params={"sender": SENDER}).json()["entries"][1]["rating"] == -1


def test_feedback_on_unknown_turn_or_bad_rating(make_client: Any) -> None:
    client = make_client()
    turn = chat(client, "你好")["turn_id"]
    assert client.post("/api/feedback", json={"sender": SENDER, "turn_id": "nope", "rating": 1}).status_code == 404
    other = "o" * 32
    assert client.post("/api/feedback", json={"sender": other, "turn_id": turn, "rating": 1}).status_code == 404
    assert client.post("/api/feedback", json={"sender": SENDER, "turn_id": turn, "rating": 0}).status_code == 422
    assert client.post("/api/feedback", json={"sender": SENDER, "turn_id": turn, "rating": 5}).status_code == 422


def test_reset_wipes_the_server_state(make_client: Any) -> None:
    client = make_client()
    chat(client, "我要登记遗失公告")
    chat(client, "青岛海之味餐饮管理有限公司")
    dm = dialogue(client)
    assert dm.export(SENDER)["turns"] and dm.export(SENDER)["state"]
    assert client.post("/api/reset", json={"sender": SENDER}).json() == {"ok": True}
    assert dm.export(SENDER) == {"sender_id": SENDER, "state": None, "turns": []}
    assert client.get("/api/history", params={"sender": SENDER}).json()["entries"] == []


def test_kiosk_reset_leaves_a_conversation_continued_on_a_phone(make_client: Any) -> None:
    client = make_client()
    chat(client, "食品经营许可证怎么办理", face="kiosk")
    chat(client, "需要什么材料", face="portal")  # the applicant scanned the QR code and went on
    r = client.post("/api/reset", json={"sender": SENDER, "face": "kiosk"})
    assert r.json()["kept"] == "continued_on_phone"
    assert len(dialogue(client).export(SENDER)["turns"]) == 2
    # Without the hand-over, the kiosk's reset wipes.
    other = "k" * 32
    chat(client, "食品经营许可证怎么办理", sender=other, face="kiosk")
    assert client.post("/api/reset", json={"sender": other, "face": "kiosk"}).json() == {"ok": True}
    assert dialogue(client).export(other)["turns"] == []


def test_history_shows_button_titles_not_payloads(make_client: Any) -> None:
    client = make_client()
    first = chat(client, "食品经营许可证怎么办理")
    button = next(b for m in first["messages"] for b in m.get("buttons") or [])
    chat(client, button["payload"])
    entries = client.get("/api/history", params={"sender": SENDER}).json()["entries"]
    assert [e["role"] for e in entries] == ["user", "bot", "user", "bot"]
    assert entries[0]["text"] == "食品经营许可证怎么办理"
    assert entries[2]["text"] == button["title"]
    assert entries[1]["turn_id"] == first["turn_id"]
    assert entries[1]["messages"] == first["messages"]


def test_history_of_unknown_sender_is_empty_and_sender_is_checked(make_client: Any) -> None:
    client = make_client()
    assert client.get("/api/history", params={"sender": "u" * 20}).json()["entries"] == []
    assert client.get("/api/history", params={"sender": "x"}).status_code == 422


def test_suggestions_are_overview_faqs_of_the_most_asked_services(make_client: Any, demo_kb: Any) -> None:
    body = make_client().get("/api/suggestions").json()
    assert len(body["suggestions"]) == 6
    ids = [s["service_id"] for s in body["suggestions"]]
    assert ids[:2] == ["license-loss-notice", "medical-institution-validation"]  # the services one can file here
    for s in body["suggestions"]:
        item, faq = demo_kb.faq(s["faq_id"])
        assert faq.question == s["text"] and item.id == s["service_id"]
        assert faq.topic.value == "overview" or faq is item.faqs[0]
    assert [p.service_id for p in popular_services(demo_kb, 3)] == ids[:3]


def test_qr_code_encodes_the_continue_url(make_client: Any) -> None:
    client = make_client()
    r = client.get("/api/qr", params={"sender": SENDER})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert r.headers["cache-control"] == "no-store"
    assert r.content.startswith(b"<svg") and b"<script" not in r.content
    assert r.content == qr_svg(f"http://testserver/?sender={SENDER}")
    assert client.get("/api/qr", params={"sender": "../../etc"}).status_code == 422


def test_qr_code_uses_the_public_base_url(make_client: Any) -> None:
    # A kiosk behind NAT or a reverse proxy: the phone must get the public address, not the kiosk's.
    client = make_client(public_base_url="https://zwfw.example.gov.cn/lingling/")
    r = client.get("/api/qr", params={"sender": SENDER}, headers={"host": "10.0.0.7:5005"})
    assert r.status_code == 200, r.text
    assert r.content == qr_svg(f"https://zwfw.example.gov.cn/lingling/?sender={SENDER}")


def test_public_base_url_must_be_an_http_address() -> None:
    from pydantic import ValidationError

    from assistant.settings import Settings

    for bad in ("zwfw.example.gov.cn", "javascript:alert(1)", "https://host/x?y=1", "https://ho st"):
        with pytest.raises(ValidationError):
            Settings(public_base_url=bad)
    assert Settings(public_base_url="https://zwfw.example.gov.cn/").public_base == "https://zwfw.example.gov.cn"


def test_pages_carry_a_strict_content_security_policy(make_client: Any) -> None:
    client = make_client()
    for path in ("/", "/kiosk", "/?embed=1", "/print/materials?faq_id=food-business-license/overview"):
        r = client.get(path)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'", path
        assert directives["default-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        # No inline scripts or handlers in the markup.
        assert not re.search(r"<script(?![^>]*\bsrc=)", r.text), path
        assert not re.search(r"\son[a-z]+\s*=", r.text), path
        assert " style=" not in r.text, path
    assert "frame-ancestors *" in client.get("/?embed=1").headers["content-security-policy"]
    assert "frame-ancestors 'self'" in client.get("/").headers["content-security-policy"]
    assert client.get("/api/suggestions").headers["x-content-type-options"] == "nosniff"


def test_widget_script_is_served_as_javascript(make_client: Any) -> None:
    r = make_client().get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "data-lingling-url" in r.text and ".innerHTML" not in r.text


def test_print_view_lists_the_materials(make_client: Any, demo_kb: Any) -> None:
    client = make_client()
    r = client.get("/print/materials", params={"faq_id": "business-startup/overview"})
    assert r.status_code == 200
    item = demo_kb.items["business-startup"]
    for m in item.materials:
        assert m.name in r.text
    # A service whose materials are still marked `example`: no list presented as fact, where to ask instead.
    held = client.get("/print/materials", params={"faq_id": "food-business-license/overview"})
    assert held.status_code == 200, held.text
    assert demo_kb.items["food-business-license"].materials[0].name not in held.text
    assert "正在核实" in held.text and "12345" in held.text and "0532-0000" not in held.text
    assert "/static/css/print.css" in r.text
    missing = client.get("/print/materials", params={"faq_id": "nope/nothing"})
    assert missing.status_code == 404 and "没有找到" in missing.text


def test_kiosk_page_gets_the_idle_time_and_the_tiles(make_client: Any, demo_kb: Any) -> None:
    r = make_client(kiosk_idle_seconds=42).get("/kiosk")
    assert 'data-idle-seconds="42"' in r.text
    for p in popular_services(demo_kb, 8):
        assert p.name in r.text


def test_static_assets_have_no_inner_html() -> None:
    from assistant.routes.pages import STATIC_DIR

    for path in (STATIC_DIR / "js").glob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|createContextualFragment", text), path
        assert not re.search(r"\beval\(|new Function\b", text), path
        assert not re.search(r"\b(alert|confirm|prompt)\(", text), path  # no pop-ups (kiosk rule)


def test_a_phone_takes_a_kiosk_conversation_over(make_client: Any) -> None:
    """The phone opening the kiosk's QR link tells the server (POST /api/continue); the kiosk learns it from
    GET /api/continued and clears its screen; its wipe then leaves the conversation to the phone."""
    client = make_client()
    kiosk, other = "k" * 16 + "0123456789abcdef", "o" * 16 + "0123456789abcdef"
    chat(client, "你好", sender=kiosk, face="kiosk")
    chat(client, "你好", sender=other, face="kiosk")
    assert client.get("/api/continued", params={"sender": kiosk}).json() == {"sender": kiosk, "continued": False}
    r = client.post("/api/continue", json={"sender": kiosk})
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "continued": True}
    assert client.get("/api/continued", params={"sender": kiosk}).json()["continued"] is True
    assert client.get("/api/continued", params={"sender": other}).json()["continued"] is False  # only that one
    # The kiosk's wipe keeps the phone's conversation; another kiosk conversation is wiped as before.
    kept = client.post("/api/reset", json={"sender": kiosk, "face": "kiosk"})
    assert kept.status_code == 200, kept.text
    assert kept.json()["kept"] == "continued_on_phone" and dialogue(client).export(kiosk)["turns"]
    chat(client, "营业执照怎么办", sender=kiosk)  # the phone goes on; the mark stays
    assert client.get("/api/continued", params={"sender": kiosk}).json()["continued"] is True
    assert client.post("/api/reset", json={"sender": other, "face": "kiosk"}).json() == {"ok": True}
    assert dialogue(client).export(other)["turns"] == []
    # Nothing to take over, and bad input: clear answers, no 5xx.
    fresh = "f" * 16 + "0123456789abcdef"
    assert client.post("/api/continue", json={"sender": fresh}).json() == {"ok": True, "continued": False}
    assert client.post("/api/continue", json={"sender": "../x"}).status_code == 422
    assert client.get("/api/continued", params={"sender": "<x>"}).status_code == 422
