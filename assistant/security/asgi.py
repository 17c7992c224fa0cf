"""Small helpers shared by the pure-ASGI middlewares of this package."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def envelope(code: str, message: str, detail: str = "") -> dict[str, str]:
    """The app's error body: {"error", "message" (Chinese, for users), "detail"?} (as assistant.errors)."""
    out = {"error": code, "message": message}
    if detail:
        out["detail"] = detail
    return out


async def send_json(send: Send, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    """A whole JSON answer."""
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    head += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": raw})


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (latin-1, as ASGI carries it)."""
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def client_ip(scope: Scope) -> str:
    """The peer address as the server saw it (uvicorn's --proxy-headers / FORWARDED_ALLOW_IPS rewrite it
    from X-Forwarded-For when the request came through a trusted proxy)."""
    client = scope.get("client")
    return str(client[0]) if client else ""


def client_key(ip: str) -> str:
    """Whom a limit counts: the IPv4 address, or the IPv6 /64 (one subscriber's network: a client changes its
    address within it at will). IPv4-mapped IPv6 counts as the IPv4 address; anything else as itself."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


def client_tag(secret: str, ip: str) -> str:
    """A stable pseudonym of the client (its `client_key`), keyed with the app's secret: what the doors put into
    a message's metadata (`client`) so that actions can count per client without storing addresses."""
    return hmac.new(secret.encode(), client_key(ip).encode(), hashlib.sha256).hexdigest()[:20]


def own_origin(scope: Scope) -> str | None:
    """scheme://host of the request itself (X-Forwarded-Proto/-Host first, as a reverse proxy sets them)."""
    host = header(scope, b"x-forwarded-host") or header(scope, b"host")
    if not host:
        return None
    scheme = header(scope, b"x-forwarded-proto") or str(scope.get("scheme") or "http")
    return f"{scheme.split(',')[0].strip()}://{host.split(',')[0].strip()}".lower()
