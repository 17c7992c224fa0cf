"""JSON bodies with lone surrogates ("\\ud800" escapes: valid JSON, but not Unicode text) are refused with 422
before any route sees them, as pydantic refuses them in most fields. Such text cannot be encoded to UTF-8: let in,
it fails deep inside (storing the conversation state, writing the turn log) with a 500. Surrogate pairs (emoji
written as two escapes) are fine: JSON decoding joins them into one character.
"""

from __future__ import annotations

import json
import re
from typing import Any

from assistant.security.asgi import ASGIApp, Message, Receive, Scope, Send, envelope, header, send_json

_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE = re.compile("[\ud800-\udfff]")
MAX_BODY = 4 * 1024 * 1024  # larger JSON bodies (none on the public doors) pass untouched


INVALID = "请求中含有无法识别的字符，请检查后重试。"


def has_lone_surrogate(value: Any) -> bool:
    """True when a string anywhere in `value` (keys included) holds a lone surrogate."""
    if isinstance(value, str):
        return _LONE.search(value) is not None
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    return False


class JsonSurrogates:
    """Pure ASGI middleware over JSON request bodies (outside /admin and /socket.io): 422 for lone surrogates."""

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
                lone = has_lone_surrogate(json.loads(body))
            except (ValueError, RecursionError):
                lone = False  # not JSON after all: the route answers that
            if lone:
                await send_json(send, 422, envelope("bad_request", INVALID, "lone UTF-16 surrogate in a JSON string"))
                return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
