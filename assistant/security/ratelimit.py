"""Rate limits on the chat doors: token buckets per client IP and per sender id, in memory, per process.

With N worker processes a client may get up to N times the configured rate (each worker has its own buckets);
configure the rates per worker. Buckets unused for a while are forgotten (at most `max_keys` are kept).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from actions.asgi_body import read_body
from assistant.security.asgi import ASGIApp, Receive, Scope, Send, client_ip, client_key, envelope, send_json

log = logging.getLogger(__name__)

# POST doors that run a chat turn or a parse; the value says where the sender id is in the JSON body.
CHAT_DOORS: dict[str, str | None] = {
    "/webhooks/rest/webhook": "sender",
    "/api/chat": "sender",
    "/model/parse": None,
}
MAX_SENDER_BODY = 256 * 1024  # the body-size middleware has already refused anything larger


def too_fast(seconds: int) -> str:
    """The Chinese message of a 429."""
    return f"您发送得太快了，请 {seconds} 秒后再试。"


@dataclass(frozen=True)
class Rate:
    """`per_minute` tokens a minute, at most `burst` at once; per_minute 0 = unlimited."""

    per_minute: float
    burst: int

    @property
    def unlimited(self) -> bool:
        return self.per_minute <= 0


class TokenBuckets:
    """Thread-safe token buckets by key; `take(key, rate)` is 0.0 when allowed, else seconds to wait."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key: str, rate: Rate) -> float:
        if rate.unlimited:
            return 0.0
        per_second = rate.per_minute / 60.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(rate.burst), now))
            tokens = min(float(rate.burst), tokens + (now - last) * per_second)
            if tokens >= 1.0:
                tokens -= 1.0
                wait = 0.0
            else:
                wait = (1.0 - tokens) / per_second
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Comma- or space-separated IPs and CIDRs; unparsable entries are logged and skipped."""
    out: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for entry in re.split(r"[,\s]+", text or ""):
        if not entry:
            continue
        try:
            out.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            log.warning("LINGLING_RATE_EXEMPT: %r is not an IP address or network; ignored", entry)
    return out


class RateLimiter:
    """The limits of one app: buckets, rates and exemptions; shared by the HTTP middleware and socket.io."""

    def __init__(self, ip_rate: Rate, sender_rate: Rate, exempt: str = "", buckets: TokenBuckets | None = None,
                 on_limited: Callable[[str, str], None] | None = None):
        self.ip_rate = ip_rate
        self.sender_rate = sender_rate
        self.exempt = parse_networks(exempt)
        self.buckets = buckets or TokenBuckets()
        self.on_limited = on_limited  # (door, "ip" | "sender"), e.g. a metrics counter

    def is_exempt(self, ip: str) -> bool:
        if not self.exempt or not ip:
            return False
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in self.exempt)

    def check(self, door: str, ip: str, sender: str | None) -> tuple[float, str]:
        """(seconds to wait, which limit) — (0.0, "") when the message may pass."""
        if self.is_exempt(ip):
            return 0.0, ""
        wait = self.buckets.take(f"ip:{client_key(ip)}", self.ip_rate)  # an IPv6 client: its /64
        if wait:
            return self._limited(door, "ip", wait)
        if sender:
            wait = self.buckets.take(f"sender:{sender[:128]}", self.sender_rate)
            if wait:
                return self._limited(door, "sender", wait)
        return 0.0, ""

    def _limited(self, door: str, which: str, wait: float) -> tuple[float, str]:
        if self.on_limited is not None:
            self.on_limited(door, which)
        return wait, which


def retry_after(wait: float) -> int:
    return max(1, math.ceil(wait))


class RateLimitMiddleware:
    """Pure ASGI middleware: 429 with Retry-After on the chat doors once a bucket is empty."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, doors: dict[str, str | None] | None = None):
        self.app = app
        self.limiter = limiter
        self.doors = CHAT_DOORS if doors is None else doors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or scope.get("method") != "POST" or path not in self.doors:
            await self.app(scope, receive, send)
            return
        field = self.doors[path]
        sender: str | None = None
        if field is not None:
            body, receive = await _buffer(receive)
            sender = _sender(body, field)
        wait, which = self.limiter.check(path, client_ip(scope), sender)
        if wait:
            seconds = retry_after(wait)
            await send_json(send, 429, envelope("rate_limited", too_fast(seconds), f"{which} limit reached on {path}"),
                            {"Retry-After": str(seconds)})
            return
        await self.app(scope, receive, send)


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """The body (b"" when it is larger than MAX_SENDER_BODY or the client went away) and a `receive` that
    replays everything read."""
    buffered = await read_body(receive, MAX_SENDER_BODY)
    return (buffered.body if buffered.complete else b""), buffered.replay(receive)


def _sender(body: bytes, field: str) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # (too deep bodies are refused by the input hygiene before this)
        return None
    value = data.get(field) if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def limit_socketio(channel: Any, limiter: RateLimiter) -> bool:
    """Put the limiter in front of the socket.io channel's user-message handler; True when installed.

    A limited message is answered with one `bot_uttered` {"text": 请 N 秒后再试} to that socket only.
    """
    sio: Any = getattr(channel, "sio", None)
    namespace = getattr(channel, "namespace", "/")
    event = getattr(channel, "user_message_evt", None)
    handlers = getattr(sio, "handlers", {}).get(namespace, {})
    original = handlers.get(event) if event else None
    if original is None or getattr(original, "_rate_limited", False):
        return False

    async def limited(sid: str, data: Any = None) -> Any:
        environ = sio.get_environ(sid, namespace=namespace) or {}
        asgi_scope = environ.get("asgi.scope") or {}
        ip = client_ip(asgi_scope) or str(environ.get("REMOTE_ADDR") or "")
        sender = data.get("session_id") if isinstance(data, dict) else None
        wait, _ = limiter.check("/socket.io", ip, sender if isinstance(sender, str) else sid)
        if wait:
            await sio.emit(channel.bot_message_evt, {"text": too_fast(retry_after(wait))}, to=sid, namespace=namespace)
            return None
        return await original(sid, data)

    limited._rate_limited = True  # type: ignore[attr-defined]
    handlers[event] = limited
    return True
