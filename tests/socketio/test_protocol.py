"""Rasa's socket.io protocol against the live app (uvicorn on 127.0.0.1) with python-socketio's AsyncClient.

Each test runs its own event loop (asyncio.run); the app runs in its own thread and loop.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from assistant.dialogue.messages import BotMessage
from tests.socketio.sioclient import Chat, run, texts

FAQ = "食品经营许可证丢了怎么补办"
COMPANY = "青岛明远餐饮有限公司"
USCC = "91370211MA3C1234XN"
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def rest(url: str, sender: str, message: str) -> list[dict[str, Any]]:
    resp = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=30)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


def as_events(wire: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the socket.io channel must send for the REST channel's answer."""
    from assistant.channels.socketio import to_events

    return [e for m in wire for e in to_events(BotMessage.from_rasa(m))]


# ---------------------------------------------------------------------------------------------- sessions


def test_session_request_confirms_the_asked_or_a_new_id(sio_live: Any) -> None:
    async def scenario() -> None:
        async with Chat(sio_live.url) as chat:
            new = await chat.session(None)
            assert HEX32.match(new)
            assert HEX32.match(await chat.session(data=None)) and HEX32.match(await chat.session(data={}))
            assert await chat.session("portal-user-0042") == "portal-user-0042"
            assert await chat.session(new) == new
            # Unusable ids get a new one instead of being trusted.
            for bad in ("x" * 200, 12345, "", "tab\there"):
                confirmed = await chat.session(bad)
                assert HEX32.match(confirmed) and confirmed != new

    run(scenario())


def test_health_and_protocol_versions(sio_live: Any) -> None:
    assert httpx.get(f"{sio_live.url}/webhooks/socketio/").json() == {"status": "ok"}
    handshake = httpx.get(f"{sio_live.url}/socket.io/?EIO=4&transport=polling", timeout=10)
    assert handshake.status_code == 200 and handshake.text.startswith("0{") and '"sid"' in handshake.text
    # socket.io-client v2 (Engine.IO 3, rasa-webchat < 1.0) is refused plainly; rasa-webchat 1.0.1 speaks EIO 4.
    old = httpx.get(f"{sio_live.url}/socket.io/?EIO=3&transport=polling", timeout=10)
    assert old.status_code == 400 and "unsupported version" in old.text


# ---------------------------------------------------------------------------------------------- messages


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_answer_in_rasa_shapes_same_as_rest(sio_live: Any, transport: str) -> None:
    expected = as_events(rest(sio_live.url, f"rest-twin-{transport}", FAQ))

    async def scenario() -> list[dict[str, Any]]:
        async with Chat(sio_live.url, transport=transport) as chat:
            await chat.session()
            events = await chat.say(FAQ, count=len(expected))
            assert await chat.nothing()
            return events

    events = run(scenario())
    assert events == expected
    first, card = events
    assert set(first) == {"text", "quick_replies"}
    start = next(q for q in first["quick_replies"] if q["title"] == "开始办理")
    assert start["content_type"] == "text" and start["payload"].startswith("/start_lost_notice")
    assert all(set(q) == {"content_type", "title", "payload"} for q in first["quick_replies"])
    assert card["type"] == "answer_card" and card["service_id"] == "license-loss-notice"
    assert card["answer"] in first["text"].replace("\\", "")  # the readable answer leads the text
    assert "**办理流程**" in first["text"]  # and the card's guide follows it, for widgets without cards
    # its materials are still marked `example`: not sent as fact, the text says they are being confirmed
    assert "**所需材料**" not in first["text"] and "**正在核实**：申请材料" in first["text"]


def test_form_events_in_order_and_stored_as_socketio(sio_live: Any) -> None:
    async def scenario() -> tuple[str, list[list[dict[str, Any]]]]:
        async with Chat(sio_live.url) as chat:
            sid = await chat.session()
            start = await chat.say("/start_lost_notice", count=2, customData={"language": "zh"})
            company = await chat.say(COMPANY)
            uscc = await chat.say(USCC)
            return sid, [start, company, uscc]

    sid, (start, company, uscc) = run(scenario())
    assert [set(e) for e in start] == [{"text"}, {"text"}]
    assert "9项信息" in start[0]["text"] and "单位全称" in start[1]["text"]
    assert "统一社会信用代码" in texts(company)
    assert "quick_replies" in uscc[-1] and "食品经营许可证" in [q["title"] for q in uscc[-1]["quick_replies"]]
    dm = sio_live.dialogue
    state = dm.store.load(sid)
    assert state.active_form == "lost_notice_form" and state.slots["company_name"] == COMPANY
    turns = dm.turns.for_sender(sid)
    assert [t.channel for t in turns] == ["socketio"] * 3
    users = [e for e in state.events if e.get("event") == "user"]
    assert [e["input_channel"] for e in users] == ["socketio"] * 3
    assert users[0]["metadata"] == {"language": "zh"}  # customData is the message's metadata


def test_reconnect_with_the_session_id_continues_the_form(sio_live: Any) -> None:
    async def scenario() -> tuple[str, str]:
        async with Chat(sio_live.url) as first:
            sid = await first.session()
            assert "单位全称" in texts(await first.say("/start_lost_notice", count=2))
        async with Chat(sio_live.url, transport="polling") as again:  # a new socket (page reload), same session
            assert await again.session(sid) == sid
            answer = texts(await again.say(COMPANY))
        return sid, answer

    sid, answer = run(scenario())
    assert "统一社会信用代码" in answer
    # The same conversation through the REST channel (the session id is the sender everywhere).
    follow = rest(sio_live.url, sid, USCC)
    assert "许可证" in follow[-1]["text"] and follow[-1]["buttons"]
    assert sio_live.dialogue.store.load(sid).slots["uscc"] == USCC


def test_parallel_sessions_do_not_mix(sio_live: Any) -> None:
    async def form(chat: Chat) -> list[str]:
        got = [texts(await chat.say("/start_lost_notice", count=2))]
        await asyncio.sleep(0.05)
        got.append(texts(await chat.say(COMPANY)))
        return got

    async def questions(chat: Chat) -> list[str]:
        got = [texts(await chat.say(FAQ, count=2))]
        got.append(texts(await chat.say("/start_medical_validation", count=2)))
        return got

    async def scenario() -> tuple[list[str], list[str], list[dict[str, Any]], tuple[str, str]]:
        async with Chat(sio_live.url) as a, Chat(sio_live.url) as b, Chat(sio_live.url) as a_tab:
            sa, sb = await a.session(), await b.session()
            assert sa != sb
            assert await a_tab.session(sa) == sa  # a second tab of session A
            got_a, got_b = await asyncio.gather(form(a), questions(b))
            assert await a.nothing() and await b.nothing()
            tab_events = await a_tab.collect(count=3)  # Rasa sends a session's replies to all its sockets
            assert await a_tab.nothing()
            return got_a, got_b, tab_events, (sa, sb)

    got_a, got_b, tab_events, (sa, sb) = run(scenario())
    assert "单位全称" in got_a[0] and "统一社会信用代码" in got_a[1]
    assert "医疗机构" not in "".join(got_a) and "所需材料" not in "".join(got_a)
    assert "办理流程" in got_b[0] and "医疗机构" in got_b[1] and "单位全称" not in "".join(got_b)
    assert texts(tab_events) == "\n".join(got_a)
    dm = sio_live.dialogue
    assert dm.store.load(sa).active_form == "lost_notice_form" and dm.store.load(sa).slots["company_name"] == COMPANY
    assert dm.store.load(sb).active_form == "medical_validation_form" and dm.store.load(sb).slots.get("company_name") is None


def test_messages_without_session_id_or_text_are_ignored(sio_live: Any) -> None:
    async def scenario() -> str:
        async with Chat(sio_live.url) as chat:
            sid = await chat.session()
            await chat.send("你好", session_id=None)  # Rasa ignores it with session persistence
            await chat.send("你好", session_id="")
            await chat.client.emit("user_uttered", "你好")  # not an object
            assert await chat.nothing()
            await chat.send(None)  # rasa-webchat's init payload when none is configured
            await chat.client.emit("user_uttered", {"session_id": sid, "customData": {"language": "zh"}})
            assert await chat.nothing()
            assert "灵灵" in texts(await chat.say("你好"))
            return sid

    sid = run(scenario())
    assert len(sio_live.dialogue.turns.for_sender(sid)) == 1


def test_event_names_and_persistence_are_configurable(sio_serve: Any) -> None:
    app = sio_serve(user_message_evt="user_msg", bot_message_evt="bot_msg", session_persistence="false",
                    card_text="false", markdown="false")

    async def scenario() -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
        async with Chat(app.url, bot_evt="bot_msg", user_evt="user_msg") as chat:
            await chat.session()
            answer = await chat.say(FAQ, count=2, session_id=None)  # without persistence the socket is the sender
            form = await chat.say("/start_lost_notice", count=2, session_id=None)
            return chat.client.get_sid("/") or "", answer, form

    socket_sid, answer, form = run(scenario())
    card = answer[1]
    assert answer[0]["text"] == card["answer"]  # raw text, no card text added
    assert "单位全称" in form[1]["text"]
    assert app.dialogue.store.load(socket_sid).active_form == "lost_notice_form"


# ---------------------------------------------------------------------------------------------- origins


def _handshake(url: str, origin: str | None) -> httpx.Response:
    headers = {"Origin": origin} if origin else {}
    return httpx.get(f"{url}/socket.io/?EIO=4&transport=polling", headers=headers, timeout=10)


def test_browser_origins_are_limited(sio_live: Any, sio_serve: Any) -> None:
    own = sio_live.url
    other_port = "http://127.0.0.1:1"
    for origin in (None, own, other_port, "http://localhost:8080"):
        resp = _handshake(sio_live.url, origin)
        assert resp.status_code == 200, origin
        if origin:
            assert resp.headers["access-control-allow-origin"] == origin
    for origin in ("https://evil.example", "http://127.0.0.1.evil.example:80", "null"):
        assert _handshake(sio_live.url, origin).status_code == 400, origin
    prod = sio_serve(settings={"env": "production", "secret_key": "a-real-secret-for-the-test"},
                     cors_origins="https://portal.example.cn, https://www.example.gov.cn")
    assert _handshake(prod.url, "https://portal.example.cn").status_code == 200
    assert _handshake(prod.url, "https://www.example.gov.cn").status_code == 200
    assert _handshake(prod.url, prod.url).status_code == 200
    assert _handshake(prod.url, other_port).status_code == 400  # loopback pages only outside production
