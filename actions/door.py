"""Who may call the action server door (POST /webhook, GET /actions).

An action call creates filings without the dialogue's checks and read-back, so the door is closed to everyone
but the Rasa server:

- a call carrying the configured token (Rasa's `action_endpoint.token`, sent by Rasa 3 as the query parameter
  `?token=`; `Authorization: Bearer <token>` is accepted too) passes from any address;
- without it, only a direct call from this machine passes: a loopback peer and no proxy header
  (X-Forwarded-For, Forwarded, X-Real-IP). A request a reverse proxy relays on behalf of someone else carries
  such a header and is refused, whoever the proxy is and whatever address the header names;
- every other caller (another address, a unix-socket peer, a relayed request without the token) is refused.

Used by the standalone action server (`ActionGuard` below) and the web app (assistant/security/actioncall.py).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from actions.asgi_body import Message, Receive, read_body

Scope = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DOORS = ("/webhook", "/actions")
PROXY_HEADERS = frozenset({b"x-forwarded-for", b"forwarded", b"x-real-ip"})
TOKEN_PARAM = "token"  # rasa.utils.endpoints.EndpointConfig: token_name defaults to "token"
FORBIDDEN = "动作服务只接受本机 Rasa 服务器或持有令牌的调用。"
TOO_LARGE = "内容太长了，请精简后再发送。"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.0.0.1); False for anything else."""
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False  # a unix socket, a test client's name: not a peer we can place
    mapped = getattr(addr, "ipv4_mapped", None)
    return bool((mapped or addr).is_loopback)


def relayed(scope: Scope) -> bool:
    """True when the request carries a proxy header: someone relayed it on behalf of another client."""
    return any(bytes(name).lower() in PROXY_HEADERS for name, _ in scope.get("headers") or ())


def given_token(scope: Scope) -> str:
    """The token of the request: `?token=` (Rasa), else an `Authorization: Bearer` header."""
    query = bytes(scope.get("query_string") or b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == TOKEN_PARAM:
            return value
    for name, value in scope.get("headers") or ():
        if bytes(name).lower() == b"authorization":
            text = bytes(value).decode("latin-1")
            if text[:7].lower() == "bearer ":
                return text[7:].strip()
    return ""


def token_ok(scope: Scope, token: str | None) -> bool:
    """True when a token is configured and the request carries it (constant-time comparison)."""
    if not token:
        return False
    return hmac.compare_digest(given_token(scope).encode("utf-8", "replace"), token.encode("utf-8"))


def caller_allowed(scope: Scope, token: str | None) -> bool:
    """The door's rule (see the module docstring)."""
    if token_ok(scope, token):
        return True
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    return is_loopback(peer) and not relayed(scope)


async def _answer(send: Send, status: int, error: str, message: str, detail: str) -> None:
    body = json.dumps({"error": error, "message": message, "detail": detail}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def refuse(send: Send) -> None:
    """403 with the app's error envelope."""
    await _answer(send, 403, "forbidden", FORBIDDEN,
                  "the action server door takes direct loopback calls or the action token")


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length when it is a number."""
    for name, value in scope.get("headers") or ():
        if bytes(name).lower() == b"content-length":
            text = bytes(value).decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


class ActionGuard:
    """Pure ASGI middleware of the standalone action server: the door's rule on /webhook and /actions, and
    the body limit of /webhook (`max_body`, the web app's BodySizeLimit gives it the same one): 413 for a
    declared or streamed body above it."""

    def __init__(self, app: ASGIApp, token: str | None = None, max_body: int | None = None):
        self.app = app
        self.token = token
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") not in DOORS:
            await self.app(scope, receive, send)
            return
        if not caller_allowed(scope, self.token):
            await refuse(send)
            return
        limit = self.max_body
        if limit is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length > limit:
            await _answer(send, 413, "too_large", TOO_LARGE, f"body has {length} bytes, limit {limit}")
            return
        buffered = await read_body(receive, limit)
        if buffered.size > limit:
            await _answer(send, 413, "too_large", TOO_LARGE, f"body larger than {limit} bytes")
            return
        await self.app(scope, buffered.replay(receive), send)
