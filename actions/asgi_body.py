"""A request body read once, bounded, and replayed: for ASGI middlewares that must look at the body before the
app does (the action door here; the input checks, the rate limiter's sender and the action-call shape check in
assistant/security). Nothing read is lost: the app gets every message again, then whatever was not read yet."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]


@dataclass
class BufferedBody:
    """The messages read so far, in order, and what they add up to."""

    messages: list[Message]
    size: int  # body bytes read
    complete: bool  # the whole body is in (not stopped by the limit nor by the client going away)

    @property
    def body(self) -> bytes:
        """The body bytes read (the whole body when `complete`)."""
        return b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.request")

    def replaced(self, body: bytes) -> BufferedBody:
        """The same request with another complete body."""
        return BufferedBody([{"type": "http.request", "body": body, "more_body": False}], len(body), True)

    def replay(self, receive: Receive) -> Receive:
        """A `receive` that gives these messages again, then reads on from `receive`."""
        pending = list(self.messages)

        async def replayed() -> Message:
            return pending.pop(0) if pending else await receive()

        return replayed


async def read_body(receive: Receive, limit: int | None = None) -> BufferedBody:
    """Read until the body is complete, the client goes away, or more than `limit` bytes are in (then stop: the
    rest stays unread, for the app or for a 413)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":  # the client went away
            return BufferedBody(messages, size, False)
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return BufferedBody(messages, size, True)
        if limit is not None and size > limit:
            return BufferedBody(messages, size, False)
