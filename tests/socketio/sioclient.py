"""A python-socketio AsyncClient speaking the channel's protocol as rasa-webchat does; every wait is bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import socketio

T = TypeVar("T")
WAIT = 15.0  # seconds for an expected event
QUIET = 0.6  # seconds without events after which no more are expected


def run(coro: Coroutine[Any, Any, T], timeout: float = 90.0) -> T:
    """Run a scenario in a fresh event loop on its own thread (Playwright's sync API keeps a loop in this one)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sio-test") as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coro, timeout)).result(timeout + 15)


class Chat:
    """One socket: `session()` asks for a session, `say()` sends a message and collects the bot's events."""

    def __init__(self, url: str, transport: str = "websocket", bot_evt: str = "bot_uttered",
                 user_evt: str = "user_uttered"):
        self.url = url
        self.transport = transport
        self.user_evt = user_evt
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[Any] = asyncio.Queue()
        self.confirms: asyncio.Queue[Any] = asyncio.Queue()
        self.session_id: str | None = None
        self.client.on(bot_evt, self.events.put_nowait)
        self.client.on("session_confirm", self.confirms.put_nowait)

    async def __aenter__(self) -> Chat:
        await self.client.connect(self.url, socketio_path="/socket.io", transports=[self.transport], wait_timeout=10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    async def disconnect(self) -> None:
        if not self.client.connected:
            return
        if self.transport == "polling":
            # The client would wait for its pending long-poll (up to the ping interval, 25 s) to come back.
            await asyncio.wait_for(self.client.eio.disconnect(abort=True), WAIT)
        else:
            await asyncio.wait_for(self.client.disconnect(), WAIT)

    async def session(self, session_id: Any = None, data: Any = ...) -> str:
        """session_request {session_id} (or `data` as given) → the confirmed session id."""
        await self.client.emit("session_request", {"session_id": session_id} if data is ... else data)
        confirmed = await asyncio.wait_for(self.confirms.get(), WAIT)
        assert isinstance(confirmed, str), confirmed
        self.session_id = confirmed
        return confirmed

    async def send(self, message: Any, session_id: Any = ..., **extra: Any) -> None:
        data = {"message": message, "session_id": self.session_id if session_id is ... else session_id, **extra}
        await self.client.emit(self.user_evt, data)

    async def say(self, message: Any, count: int | None = None, **extra: Any) -> list[dict[str, Any]]:
        """Send a message; the bot's events: `count` of them, or all until QUIET seconds pass without one."""
        await self.send(message, **extra)
        return await self.collect(count)

    async def collect(self, count: int | None = None) -> list[dict[str, Any]]:
        out = [await asyncio.wait_for(self.events.get(), WAIT)]
        if count is not None:
            while len(out) < count:
                out.append(await asyncio.wait_for(self.events.get(), WAIT))
            return out
        while True:
            try:
                out.append(await asyncio.wait_for(self.events.get(), QUIET))
            except TimeoutError:
                return out

    async def nothing(self, seconds: float = QUIET) -> bool:
        """True when no bot event arrives within `seconds`."""
        try:
            event = await asyncio.wait_for(self.events.get(), seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected bot event: {event!r}")


def texts(events: list[dict[str, Any]]) -> str:
    """All event texts, joined."""
    return "\n".join(str(e.get("text", "")) for e in events)
