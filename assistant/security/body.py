"""The request body size limit: 413 for a Content-Length above the limit, and for a body that grows beyond it
while it streams in (chunked uploads send no Content-Length)."""

from __future__ import annotations

from starlette.exceptions import HTTPException

from assistant.security.asgi import ASGIApp, Message, Receive, Scope, Send, envelope, header, send_json

TOO_LARGE = "内容太长了，请精简后再发送。"
BAD_LENGTH = "请求格式不正确，请检查后重试。"


class BodyTooLarge(HTTPException):
    """Raised from `receive` once the streamed body passes the limit (FastAPI answers it through the app's
    HTTPException handler; the middleware answers it when it escapes)."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body larger than {limit} bytes")
        self.limit = limit


class BodySizeLimit:
    """Pure ASGI middleware: `limit` bytes everywhere, `admin_limit` under /admin (knowledge imports), and
    `overrides` for single paths (exact match); paths in `exempt` (channels that enforce their own limit, such
    as socket.io) are not looked at."""

    def __init__(self, app: ASGIApp, limit: int, admin_limit: int, overrides: dict[str, int] | None = None,
                 exempt: tuple[str, ...] = ("/socket.io",)):
        self.app = app
        self.limit = limit
        self.admin_limit = admin_limit
        self.overrides = overrides or {}
        self.exempt = exempt

    def limit_for(self, path: str) -> int:
        if path in self.overrides:
            return self.overrides[path]
        return self.admin_limit if path == "/admin" or path.startswith("/admin/") else self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(str(scope.get("path", "")))
        length = header(scope, b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                await send_json(send, 400, envelope("bad_request", BAD_LENGTH, "invalid Content-Length"))
                return
            if int(length) > limit:
                await send_json(send, 413, envelope("too_large", TOO_LARGE, f"body has {int(length)} bytes, limit {limit}"),
                                {"Connection": "close"})
                return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def watch_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watch_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await send_json(send, 413, envelope("too_large", TOO_LARGE, f"body larger than {exc.limit} bytes"),
                            {"Connection": "close"})
