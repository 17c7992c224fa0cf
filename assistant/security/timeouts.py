"""Slow clients cannot hold the server: a request's headers must arrive within HEADER_TIMEOUT_S, its body within
BODY_TIMEOUT_S.

uvicorn closes idle keep-alive connections (`timeout_keep_alive`, 5 s) but waits without end for the headers of
a connection that sends them a byte at a time (or nothing at all) and for a body that trickles in — every such
connection holds a socket, memory and, for a body, a request slot. So:

- `TimedHttpToolsProtocol` / `TimedH11Protocol`: uvicorn's HTTP protocols with a header timer, armed when a
  connection opens and when a request begins, stopped once its headers are complete; when it fires the client
  gets `408 Request Timeout` and the connection is closed. `lingling serve` uses them (`protocol_path()`).
- `BodyDeadline`: ASGI middleware; once the app starts reading a request body, the whole body must be in within
  BODY_TIMEOUT_S, else 408 with the app's error envelope (Chinese message) and the connection closed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from assistant.security.asgi import ASGIApp, Message, Receive, Scope, Send, envelope, send_json

log = logging.getLogger(__name__)

HEADER_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 30.0
TIMEOUT = "请求发送得太慢，连接已断开，请重试。"
_REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class _HeaderTimer:
    """The header timer of one connection (a mixin of the protocols below, before uvicorn's protocol): armed when
    the connection opens, stopped when it is lost."""

    header_timeout: float = HEADER_TIMEOUT_S
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]  # uvicorn's protocol, next in the MRO
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport is not None and not self.transport.is_closing():
            log.info("closed a connection whose request headers took longer than %.0f s", self.header_timeout)
            self.transport.write(_REQUEST_TIMEOUT)
            self.transport.close()


class TimedH11Protocol(_HeaderTimer, H11Protocol):
    """uvicorn's h11 protocol with the header timer."""

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is h11.IDLE:  # waiting for (the rest of) a request's headers
            self._arm()
        else:
            self._disarm()


if importlib.util.find_spec("httptools") is not None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class TimedHttpToolsProtocol(_HeaderTimer, HttpToolsProtocol):
        """uvicorn's httptools protocol (its default when httptools is installed) with the header timer."""

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()


def protocol_path() -> str:
    """The import path of the timed protocol uvicorn should use (`http=` of uvicorn.run)."""
    name = "TimedHttpToolsProtocol" if importlib.util.find_spec("httptools") is not None else "TimedH11Protocol"
    return f"{__name__}:{name}"


class BodyDeadline:
    """Pure ASGI middleware: a request body must be complete within `seconds` (default BODY_TIMEOUT_S, read per
    request) of the app's first read."""

    def __init__(self, app: ASGIApp, seconds: float | None = None):
        self.app = app
        self._seconds = seconds

    @property
    def seconds(self) -> float:
        return self._seconds if self._seconds is not None else BODY_TIMEOUT_S

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        seconds = self.seconds
        deadline: float | None = None
        done = False
        started = False

        async def timed_receive() -> Message:
            nonlocal deadline, done
            if done:  # the body is in: later reads wait for the disconnect, as long as the response takes
                return await receive()
            if deadline is None:
                deadline = loop.time() + seconds
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise _BodyTooSlow from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                done = True
            return message

        async def watch_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, timed_receive, watch_send)
        except _BodyTooSlow:
            log.info("request body of %s not complete within %.0f s", scope.get("path"), seconds)
            if started:
                raise
            await send_json(send, 408, envelope("timeout", TIMEOUT, f"body not complete within {seconds:.0f} s"),
                            {"Connection": "close"})


class _BodyTooSlow(Exception):
    """Raised from `receive` when the body's deadline passed."""
