"""The one bounded body reader of the ASGI middlewares (actions/asgi_body.py): nothing read is lost."""

from __future__ import annotations

import asyncio
from typing import Any

from actions.asgi_body import read_body


def _client(*chunks: bytes, gone: bool = False) -> Any:
    messages: list[dict[str, Any]] = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1 or gone}
                                      for i, c in enumerate(chunks)]
    if gone:
        messages.append({"type": "http.disconnect"})

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    return receive


async def _drain(receive: Any) -> list[dict[str, Any]]:
    out = []
    while True:
        m = await receive()
        out.append(m)
        if m["type"] != "http.request" or not m.get("more_body"):
            return out


def test_a_whole_body_is_read_and_replayed() -> None:
    receive = _client(b"ab", b"cd", b"e")
    buffered = asyncio.run(read_body(receive, limit=10))
    assert buffered.complete and buffered.body == b"abcde" and buffered.size == 5
    assert b"".join(m["body"] for m in asyncio.run(_drain(buffered.replay(receive)))) == b"abcde"


def test_past_the_limit_reading_stops_and_the_rest_still_reaches_the_app() -> None:
    receive = _client(b"aaaa", b"bbbb", b"cccc")
    buffered = asyncio.run(read_body(receive, limit=5))
    assert not buffered.complete and buffered.size == 8 and buffered.body == b"aaaabbbb"
    assert b"".join(m["body"] for m in asyncio.run(_drain(buffered.replay(receive)))) == b"aaaabbbbcccc"


def test_a_client_that_goes_away_is_not_a_complete_body() -> None:
    receive = _client(b"{\"sender\": ", gone=True)
    buffered = asyncio.run(read_body(receive))
    assert not buffered.complete and buffered.messages[-1]["type"] == "http.disconnect"
    assert buffered.replaced(b"{}").body == b"{}" and buffered.replaced(b"{}").complete
