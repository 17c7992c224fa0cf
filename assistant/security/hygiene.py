"""JSON bodies with lone surrogates ("\\ud800" escapes: valid JSON, but no Unicode text) are repaired before any
route sees them: each lone surrogate becomes U+FFFD. Such text cannot be encoded to UTF-8, so it would fail deep
inside (storing the conversation state, writing the turn log) instead of being handled as the odd text it is.
Surrogate pairs (emoji written as two escapes) are left alone: JSON decoding joins them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from assistant.security.asgi import ASGIApp, Message, Receive, Scope, Send, header

_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE = re.compile("[\ud800-\udfff]")
MAX_BODY = 4 * 1024 * 1024  # larger JSON bodies (none on the public doors) pass untouched


def repair(value: Any) -> Any:
    """`value` with every lone surrogate in its strings (keys included) replaced by U+FFFD."""
    if isinstance(value, str):
        return _LONE.sub("\ufffd", value)
    if isinstance(value, list):
        return [repair(v) for v in value]
    if isinstance(value, dict):
        return {repair(k): repair(v) for k, v in value.items()}
    return value


class JsonSurrogates:
    """Pure ASGI middleware over JSON request bodies (outside /admin and /socket.io)."""

    def __init__(self, app: ASGIApp, skip: tuple[str, ...] = ("/admin", "/socket.io")):
        self.app = app
        self.skip = skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH")
                or str(scope.get("path", "")).startswith(self.skip)
                or "json" not in (header(scope, b"content-type") or "").lower()):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if not message.get("more_body", False) or size > MAX_BODY:
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        complete = messages[-1]["type"] == "http.request" and not messages[-1].get("more_body", False)
        if complete and _ESCAPE.search(body):
            try:
                fixed = json.dumps(repair(json.loads(body)), ensure_ascii=False).encode("utf-8")
            except (ValueError, RecursionError):
                fixed = body  # not JSON after all: the route answers that
            if fixed != body:
                messages = [{"type": "http.request", "body": fixed, "more_body": False}]
                scope["headers"] = [(k, v) for k, v in scope.get("headers") or () if k != b"content-length"]
                scope["headers"].append((b"content-length", str(len(fixed)).encode()))

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
