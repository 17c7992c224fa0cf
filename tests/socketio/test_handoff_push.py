"""Staff's answer to a 留言 left over socket.io reaches the session's sockets as bot_uttered events (and nobody
else's), pushed by the channel without the widget asking."""

from __future__ import annotations

from typing import Any

from tests.socketio.sioclient import Chat, run, texts


def test_a_staff_reply_is_pushed_to_the_sessions_sockets(sio_live: Any) -> None:
    desk = sio_live.services.handoff

    async def scenario() -> None:
        async with Chat(sio_live.url) as chat, Chat(sio_live.url) as stranger:
            await chat.session("socket-handoff-0001")
            await stranger.session("socket-stranger-0001")
            offered = await chat.say("转人工")
            assert any(q["title"] == "留言" for e in offered for q in e.get("quick_replies") or [])
            await chat.say("/leave_message")
            await chat.say("想问一下营业执照的地址变更要多久")
            await chat.say("13912345678")
            done = await chat.say("/affirm")
            ticket = next(e for e in done if e.get("type") == "handoff_ticket")
            assert "留言已提交" in texts(done)

            desk.reply(ticket["ticket_id"], "agent", "地址变更当场办结，请带营业执照正副本。")
            pushed = await chat.collect()
            assert "工作人员回复：地址变更当场办结" in texts(pushed)
            assert any(e.get("type") == "staff_reply" and e["ticket_id"] == ticket["ticket_id"] for e in pushed)
            assert await stranger.nothing(2.5)

    run(scenario())
