"""CORS for the chat doors and the widget: only the configured portal origins (LINGLING_CORS_ORIGINS) get
Access-Control-Allow-Origin; a state-changing request that a browser sends from any other site is refused (403).

An origin entry is exact (`https://portal.example.cn`), any subdomain (`https://*.xihaian.gov.cn`), any port of
a host (`http://127.0.0.1:*`) or `*`.
Requests without an Origin header (servers, curl, Rasa) and same-origin requests are not affected. Outside
production, pages on the loopback interface (any port) are allowed too, as for the socket.io channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders

from assistant.security.asgi import ASGIApp, Message, Receive, Scope, Send, envelope, header, own_origin, send_json

# Paths whose answers browsers on portal pages may read (prefix match).
CORS_PATHS = ("/webhooks/rest/", "/api/", "/model/parse", "/widget.js", "/notices")
DEV_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*")
ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = ("content-type", "accept", "accept-language", "x-request-id")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORBIDDEN = "此网站未获授权调用灵灵，请联系政务服务中心开通。"


def split_origins(text: str) -> list[str]:
    return [o for o in re.split(r"[,\s]+", text or "") if o]


class Origins:
    """The origins that may call us from a browser."""

    def __init__(self, entries: Iterable[str]):
        self.exact: set[str] = set()
        self.any_port: set[str] = set()
        self.subdomains: set[tuple[str, str]] = set()  # (scheme, ".parent.domain")
        self.everyone = False
        for raw in entries:
            entry = raw.strip().rstrip("/").lower()
            if entry == "*":
                self.everyone = True
            elif entry.endswith(":*"):
                self.any_port.add(entry[:-2])
            elif "://*." in entry:
                scheme, _, parent = entry.partition("://*")
                self.subdomains.add((scheme, parent))
            elif entry:
                self.exact.add(entry)

    def __contains__(self, origin: object) -> bool:
        if not isinstance(origin, str) or not origin or origin == "null":
            return False
        origin = origin.rstrip("/").lower()
        if self.everyone or origin in self.exact:
            return True
        parts = urlsplit(origin)
        try:
            port = parts.port
        except ValueError:
            return False
        host = parts.hostname or ""
        if any(parts.scheme == scheme and host.endswith(parent) and port is None for scheme, parent in self.subdomains):
            return True
        return port is not None and f"{parts.scheme}://{host}" in self.any_port

    @property
    def listed(self) -> list[str]:
        """The exact and subdomain entries, as CSP source expressions (for a frame-ancestors list)."""
        return sorted(self.exact | {f"{scheme}://*{parent}" for scheme, parent in self.subdomains})


class CorsMiddleware:
    """Pure ASGI middleware over CORS_PATHS: preflights answered here, allowed origins echoed, others refused."""

    def __init__(self, app: ASGIApp, origins: Origins, paths: tuple[str, ...] = CORS_PATHS, max_age: int = 600):
        self.app = app
        self.origins = origins
        self.paths = paths
        self.max_age = max_age

    def _covered(self, path: str) -> bool:
        return path.startswith(self.paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._covered(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        origin = header(scope, b"origin")
        method = str(scope.get("method", "GET"))
        if origin is None or origin.rstrip("/").lower() == own_origin(scope):
            await self.app(scope, receive, _strip_acao(send))
            return
        allowed = origin in self.origins
        if method == "OPTIONS" and header(scope, b"access-control-request-method"):
            await self._preflight(scope, send, origin, allowed)
            return
        if not allowed:
            if method not in SAFE_METHODS:
                await send_json(send, 403, envelope("origin_not_allowed", FORBIDDEN, f"origin {origin} is not allowed"),
                                {"Vary": "Origin"})
                return
            await self.app(scope, receive, _strip_acao(send))
            return

        async def allow(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = origin
                headers["Access-Control-Expose-Headers"] = "Retry-After, X-Request-ID"
                headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, allow)

    async def _preflight(self, scope: Scope, send: Send, origin: str, allowed: bool) -> None:
        if not allowed:
            await send_json(send, 403, envelope("origin_not_allowed", FORBIDDEN, f"origin {origin} is not allowed"),
                            {"Vary": "Origin"})
            return
        asked = [h.strip().lower() for h in (header(scope, b"access-control-request-headers") or "").split(",") if h.strip()]
        refused = [h for h in asked if h not in ALLOWED_HEADERS]
        if refused:
            await send_json(send, 403, envelope("header_not_allowed", FORBIDDEN, f"headers not allowed: {', '.join(refused)}"),
                            {"Vary": "Origin"})
            return
        headers = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
            (b"access-control-allow-headers", ", ".join(ALLOWED_HEADERS).encode()),
            (b"access-control-max-age", str(self.max_age).encode()),
            (b"vary", b"Origin"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _strip_acao(send: Send) -> Send:
    """Drop an Access-Control-Allow-Origin a route set itself (e.g. `*` on /widget.js)."""

    async def stripped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            if "access-control-allow-origin" in headers:
                del headers["access-control-allow-origin"]
        await send(message)

    return stripped
