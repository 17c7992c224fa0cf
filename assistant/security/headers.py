"""Security headers on every answer (the HTML pages' CSP itself is set by assistant/routes/pages.py and the staff
console): nosniff and a referrer policy everywhere; frame-ancestors 'none', X-Frame-Options DENY and no-store under
/admin; HSTS when LINGLING_HSTS=true; the widget frame's `frame-ancestors *` narrowed to the configured portals."""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders

from assistant.security.asgi import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=31536000; includeSubDomains"
_FRAME_ANCESTORS = re.compile(r"frame-ancestors[^;]*")


def admin_csp(policy: str | None) -> str:
    """The policy with frame-ancestors 'none' (added, or replacing a looser one)."""
    if not policy:
        return "frame-ancestors 'none'"
    if _FRAME_ANCESTORS.search(policy):
        return _FRAME_ANCESTORS.sub("frame-ancestors 'none'", policy)
    return policy.rstrip("; ") + "; frame-ancestors 'none'"


def embed_csp(policy: str, portals: list[str]) -> str:
    """`frame-ancestors *` (the widget's frame) narrowed to ourselves and the portal origins."""
    allowed = " ".join(["'self'", *portals])
    return re.sub(r"frame-ancestors \*(?=;|$)", f"frame-ancestors {allowed}", policy)


class SecurityHeaders:
    """Pure ASGI middleware adding the headers to every HTTP answer."""

    def __init__(self, app: ASGIApp, hsts: bool = False, portals: list[str] | None = None,
                 default_csp: str | None = None, csp_exempt: tuple[str, ...] = ()):
        self.app = app
        self.hsts = hsts
        self.portals = portals or []
        self.default_csp = default_csp  # for HTML/SVG answers that set no policy of their own
        self.csp_exempt = csp_exempt  # path prefixes whose HTML keeps no policy (the OpenAPI pages load a CDN)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        admin = path == "/admin" or path.startswith("/admin/")

        async def add(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                if (self.default_csp and "content-security-policy" not in headers and not path.startswith(self.csp_exempt)
                        and headers.get("content-type", "").startswith(("text/html", "image/svg+xml"))):
                    headers["Content-Security-Policy"] = self.default_csp
                if admin:
                    headers["Content-Security-Policy"] = admin_csp(headers.get("content-security-policy"))
                    headers["X-Frame-Options"] = "DENY"
                    headers.setdefault("Cache-Control", "no-store")
                elif self.portals and "frame-ancestors *" in headers.get("content-security-policy", ""):
                    headers["Content-Security-Policy"] = embed_csp(headers["content-security-policy"], self.portals)
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, add)
