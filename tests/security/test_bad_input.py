"""Hostile and odd text into the chat doors and every form slot: never a 5xx.

Text comes from hypothesis (any code point: emoji, control characters, mixed scripts, lone surrogates sent as
JSON \\u escapes, as a browser or a Rasa client would) plus fixed 100 KB strings. Bounded example counts keep the
whole file well under a minute. Malformed JSON gets our error envelope with a Chinese message; oversized bodies
get 413.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.flows import USCC

ANY_CHAR = st.characters(codec=None, exclude_categories=())  # surrogates and control characters included
ODD = st.sampled_from([
    "😀👨‍👩‍👧‍👦🇨🇳", "\x00\x01\x1b[31m\x7f", "食品经营许可证 lost 了怎么办 пожалуйста ☎", "\u202eRTL\u202c", "\ufeff\u200b\u200d",
    "\ud800", "\udfff孤立代理项", "/inform{", '/inform{"company_name": ' + "[" * 200, "/" + "a" * 300, "{}", "null",
    "'); DROP TABLE turns;--", "<script>alert(1)</script>", "%s%s%n", "${jndi:ldap://x}", "\\u0000", " " * 50, "。" * 500,
])
TEXT = st.one_of(st.text(ANY_CHAR, max_size=300), ODD, st.text(ANY_CHAR, min_size=1, max_size=3).map(lambda s: s * 700))
FAST = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
FORMS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
BIG = {"ascii": "a" * 100_000, "cjk": "许" * 100_000, "emoji": "😀" * 25_000, "mixed": ("许a😀\n\t\x00" * 17_000)[:100_000]}


def post_json(client: Any, url: str, payload: Any) -> Any:
    """POST with the body as Python's json.dumps writes it (ASCII, lone surrogates as \\u escapes)."""
    return client.post(url, content=json.dumps(payload).encode(), headers={"content-type": "application/json"})


def sender() -> str:
    return uuid.uuid4().hex


@FAST
@given(text=TEXT)
def test_parse_survives_any_text(api: Any, text: str) -> None:
    r = post_json(api, "/model/parse", {"text": text})
    assert r.status_code in (200, 413, 422), r.text
    if r.status_code == 200:
        assert r.json()["intent"]["name"]


@FAST
@given(text=TEXT, metadata=st.one_of(st.none(), st.dictionaries(st.text(max_size=5), st.text(ANY_CHAR, max_size=5), max_size=3)))
def test_rest_channel_survives_any_text(api: Any, text: str, metadata: Any) -> None:
    r = post_json(api, "/webhooks/rest/webhook", {"sender": sender(), "message": text, "metadata": metadata})
    assert r.status_code in (200, 413, 422), r.text
    if r.status_code == 200:
        assert isinstance(r.json(), list)


@FAST
@given(text=TEXT, face=st.sampled_from(["portal", "kiosk"]))
def test_chat_api_survives_any_text(api: Any, text: str, face: str) -> None:
    r = post_json(api, "/api/chat", {"sender": sender(), "message": text, "face": face})
    assert r.status_code in (200, 413, 422), r.text
    if r.status_code >= 400:
        assert r.json()["message"]


LOST_NOTICE_PREFILL = {"company_name": "青岛明远餐饮有限公司", "uscc": USCC, "license_type": "食品经营许可证",
                       "license_number": "JY13702110012345", "lost_date": "2025-05-01", "circumstances": "搬迁时遗失正本",
                       "contact_name": "张海"}
VALIDATION_PREFILL = {"institution_name": "青岛西海岸新区明远诊所", "registration_number": "PDY12345637021117A1002",
                      "validation_items": ["执业许可证"], "license_valid_until": "2026-12-31", "contact_name": "李梅"}


def _ask_slot(client: Any, start: str, prefill: dict[str, Any], slot: int) -> str:
    """Start the form with the slots before `slot` filled (payload entities); the sender now waits on `slot`."""
    who = sender()
    known = dict(list(prefill.items())[:slot])
    payload = f"{start}{json.dumps(known, ensure_ascii=False)}" if known else start
    r = client.post("/webhooks/rest/webhook", json={"sender": who, "message": payload})
    assert r.status_code == 200, r.text
    return who


@FORMS
@given(slot=st.integers(0, len(LOST_NOTICE_PREFILL)), text=TEXT)
def test_lost_notice_slots_survive_any_text(api: Any, slot: int, text: str) -> None:
    who = _ask_slot(api, "/start_lost_notice", LOST_NOTICE_PREFILL, slot)
    r = post_json(api, "/webhooks/rest/webhook", {"sender": who, "message": text})
    assert r.status_code in (200, 413, 422), r.text
    # and the conversation still works afterwards
    assert api.post("/webhooks/rest/webhook", json={"sender": who, "message": "/deny"}).status_code == 200


@FORMS
@given(slot=st.integers(0, len(VALIDATION_PREFILL)), text=TEXT)
def test_validation_slots_survive_any_text(api: Any, slot: int, text: str) -> None:
    who = _ask_slot(api, "/start_medical_validation", VALIDATION_PREFILL, slot)
    r = post_json(api, "/webhooks/rest/webhook", {"sender": who, "message": text})
    assert r.status_code in (200, 413, 422), r.text
    assert api.post("/webhooks/rest/webhook", json={"sender": who, "message": "/deny"}).status_code == 200


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(ANY_CHAR, max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=20)
ACTIONS = st.sampled_from(["action_submit_lost_notice", "validate_lost_notice_form", "action_answer_faq",
                           "action_check_status", "action_search_notice", "validate_medical_validation_form", "nope"])


@FAST
@given(call=st.one_of(JSON, st.fixed_dictionaries({"next_action": ACTIONS, "sender_id": st.text(max_size=10)},
                                                   optional={"tracker": JSON, "domain": JSON, "version": JSON})))
def test_action_server_survives_any_call(api: Any, call: Any) -> None:
    r = post_json(api, "/webhook", call)
    assert r.status_code < 500, r.text


@pytest.mark.parametrize("kind", sorted(BIG))
def test_100kb_strings_are_refused_or_answered(api: Any, kind: str) -> None:
    text = BIG[kind]
    for url, payload in (("/model/parse", {"text": text}), ("/webhooks/rest/webhook", {"sender": sender(), "message": text}),
                         ("/api/chat", {"sender": sender(), "message": text})):
        r = post_json(api, url, payload)
        assert r.status_code in (200, 413, 422), (url, r.status_code, r.text[:300])
        if r.status_code == 413:
            assert r.json()["error"] in ("too_large", "http_413") and r.json()["message"]


@pytest.mark.parametrize("url", ["/model/parse", "/webhooks/rest/webhook", "/api/chat", "/api/feedback", "/api/reset"])
@pytest.mark.parametrize("raw", [b"{not json", b'{"text": "a",}', b"\xff\xfe\x00", b"", b"[" * 10_000], ids=["broken", "trailing-comma",
                                                                                                        "binary", "empty", "deep"])
def test_malformed_json_gets_the_envelope(api: Any, url: str, raw: bytes) -> None:
    r = api.post(url, content=raw, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
    body = r.json()
    assert set(body) <= {"error", "message", "detail"} and body["error"] and body["message"]
    assert any("\u4e00" <= c <= "\u9fff" for c in body["message"])  # Chinese for the user


def test_malformed_json_to_the_action_server_is_400(api: Any) -> None:
    r = api.post("/webhook", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400  # rasa-sdk's own answer
