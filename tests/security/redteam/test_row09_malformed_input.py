"""Row 9: 500s on malformed input — raw lone-surrogate bytes passed the hygiene check, JSON nested 1,000 deep
raised RecursionError in the rate limiter, a 300-deep button payload broke the stored state, NUL characters gave
503/500 on PostgreSQL (chat, /notices, login), and socket.io had no surrogate check.

Every request here gets a 4xx where the input cannot be taken, and an answer where it is merely odd (NUL
characters in a message are dropped), on SQLite and PostgreSQL, with the rate limiter on; socket.io treats a
message as HTTP does.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.socketio.sioclient import Chat, run

SENDER = "redteam9redteam9"  # a valid page sender (/api/chat)
DEEP = b"[" * 1000 + b"]" * 1000
BUTTON_300 = '/inform{"company_name": ' + "[" * 300 + "]" * 300 + "}"

BODIES: list[tuple[str, str, bytes]] = [
    ("rest: raw surrogate bytes", "/webhooks/rest/webhook", b'{"sender": "rt9-a", "message": "\xed\xa0\x80"}'),
    ("chat: raw surrogate bytes", "/api/chat", b'{"sender": "%s", "message": "\xed\xa0\x80"}' % SENDER.encode()),
    ("parse: raw surrogate bytes", "/model/parse", b'{"text": "\xed\xa0\x80"}'),
    ("rest: 1000 deep", "/webhooks/rest/webhook", b'{"sender": "rt9-b", "message": "x", "metadata": ' + DEEP + b"}"),
    ("rest: 1000 deep body", "/webhooks/rest/webhook", DEEP),
    ("chat: 1000 deep", "/api/chat", b'{"sender": ' + DEEP + b"}"),
    ("parse: 1000 deep", "/model/parse", b'{"text": ' + DEEP + b"}"),
    ("webhook: 1000 deep", "/webhook", b'{"next_action": "action_search_notice", "tracker": ' + DEEP + b"}"),
]
WITH_NUL: list[tuple[str, str, bytes]] = [
    ("rest: NUL sender", "/webhooks/rest/webhook", json.dumps({"sender": "rt9\x00c", "message": "你好"}).encode()),
    ("rest: NUL message", "/webhooks/rest/webhook",
     json.dumps({"sender": "rt9-c", "message": "你好\x00", "metadata": {"k\x00": "v\x00"}}).encode()),
    ("chat: NUL message", "/api/chat", json.dumps({"sender": SENDER, "message": "你好\x00"}).encode()),
]


@pytest.mark.parametrize(("name", "url", "body"), BODIES, ids=[b[0] for b in BODIES])
def test_malformed_bodies_get_a_4xx(serve: Any, database: dict[str, Any], name: str, url: str, body: bytes) -> None:
    live = serve(**database)
    r = httpx.post(live.url + url, content=body, headers={"content-type": "application/json"}, timeout=30)
    assert 400 <= r.status_code < 500, (name, r.status_code, r.text[:300])
    assert r.json()["message"]


@pytest.mark.parametrize(("name", "url", "body"), WITH_NUL, ids=[b[0] for b in WITH_NUL])
def test_nul_characters_in_messages_are_dropped(serve: Any, database: dict[str, Any], name: str, url: str,
                                                body: bytes) -> None:
    live = serve(**database)
    r = httpx.post(live.url + url, content=body, headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == 200, (name, r.status_code, r.text[:300])  # before the fix: 503/500 on PostgreSQL
    assert "\\u0000" not in r.text and "\x00" not in r.text


def test_deep_button_payloads_and_nul_in_payloads_are_answered(serve: Any, database: dict[str, Any]) -> None:
    live = serve(**database)
    rest = live.url + "/webhooks/rest/webhook"
    for sender, message in (("rt9-d", BUTTON_300), ("rt9-e", '/inform{"company_name": "a\\u0000b"}')):
        assert httpx.post(rest, json={"sender": sender, "message": "/start_lost_notice"}, timeout=30).status_code == 200
        r = httpx.post(rest, json={"sender": sender, "message": message}, timeout=30)
        assert r.status_code == 200, r.text[:300]
        r = httpx.post(rest, json={"sender": sender, "message": "/deny"}, timeout=30)  # the conversation goes on
        assert r.status_code == 200, r.text[:300]


def test_nul_in_the_notice_board_and_the_login_gets_a_4xx(serve: Any, database: dict[str, Any]) -> None:
    live = serve(**database)
    for path in ("/notices?q=%00", "/notices?q=a%00b&format=json", "/notices/XHA%00", "/notices/XHA%00.pdf"):
        r = httpx.get(live.url + path, timeout=30)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:300])
    with httpx.Client(base_url=live.url, timeout=30) as client:
        page = client.get("/admin/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text[:300]
        r = client.post("/admin/login", data={"username": "admin\x00", "password": "x", "csrf_token": token.group(1)})
        assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])


def test_socketio_refuses_what_http_refuses(serve: Any, database: dict[str, Any]) -> None:
    live = serve(**database)

    async def scenario() -> None:
        async with Chat(live.url) as chat:
            await chat.session()
            events = await chat.say("\ud800你好")
            assert "无法识别的字符" in events[0].get("text", ""), events
            events = await chat.say("你好\x00", customData={"k\x00": "v\x00"})  # dropped, then answered
            assert events and "无法识别" not in events[0].get("text", "") and "出了点问题" not in events[0]["text"], events
            events = await chat.say("你好", customData={"deep": json.loads("[" * 100 + "]" * 100)})
            assert "层级太深" in events[0].get("text", ""), events
            events = await chat.say("你好")
            assert events and "无法识别" not in events[0].get("text", ""), events

    run(scenario())
