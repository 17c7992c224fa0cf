"""Structured logs, request ids and Prometheus metrics.

`install(app, settings)` (called by `assistant.app.create_app`) adds the request middleware (X-Request-ID,
one access log line per request, request metrics, a JSON 500 for anything unhandled) and GET /metrics; the
start-up (assistant/services.py) has the dialogue's turns counted. Under `lingling serve` (settings.announce)
it also configures logging (LINGLING_LOG_FORMAT, LINGLING_LOG_LEVEL) in every worker.
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
import uuid
from collections import Counter
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import MutableHeaders

from actions.door import is_loopback, relayed
from assistant.observability import metrics
from assistant.observability.logs import configure_logging, path_var, request_id_var
from assistant.security.asgi import ASGIApp, Message, Receive, Scope, Send, envelope, header, send_json
from assistant.security.ratelimit import RateLimiter
from assistant.settings import Environment, Settings

log = logging.getLogger(__name__)
access_log = logging.getLogger("lingling.access")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
QUIET_PATHS = ("/health", "/metrics", "/static/", "/notices/assets/")  # logged at DEBUG
INTERNAL = "服务出了点问题，请稍后再试；也可以拨打大厅咨询电话。"
SUMMARY_S = 60.0  # refused requests (429) are summed up in one line per this many seconds


class LimitedSummary:
    """Counts 429 answers and says so in one line a minute at most (each 429's own access line is DEBUG): one
    client over its limit must not write hundreds of lines a second."""

    def __init__(self, every: float = SUMMARY_S, clock: Any = metrics.monotonic):
        self.every = every
        self.clock = clock
        self._counts: Counter[str] = Counter()
        self._since = clock()
        self._lock = threading.Lock()

    def note(self, path: str) -> str | None:
        """Count one; the summary line when one is due, else None."""
        with self._lock:
            self._counts[path] += 1
            now = self.clock()
            if now - self._since < self.every:
                return None
            total, top = sum(self._counts.values()), self._counts.most_common(3)
            seconds = now - self._since
            self._counts.clear()
            self._since = now
        doors = ", ".join(f"{p} {n}" for p, n in top)
        return f"rate limits refused {total} requests in the last {seconds:.0f} s ({doors})"


def route_template(scope: Scope) -> str:
    """The matched route's path template (/notices/{number}), the mount path for mounted apps, else 'unmatched'."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class RequestObserver:
    """Pure ASGI middleware: request id in and out, access log line, metrics; 500 envelope for unhandled errors."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.limited = LimitedSummary()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = header(scope, b"x-request-id")
        rid = asked if asked and REQUEST_ID.match(asked) else uuid.uuid4().hex
        path = str(scope.get("path", ""))
        rid_token, path_token = request_id_var.set(rid), path_var.set(path)
        status = 500
        started = False
        t0 = metrics.monotonic()

        async def observe(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, observe)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), path)
            if started:
                raise
            status = 500
            await send_json(send, 500, envelope("internal_error", INTERNAL, f"request id {rid}"), {"X-Request-ID": rid})
        finally:
            seconds = metrics.monotonic() - t0
            method = str(scope.get("method", ""))
            route = route_template(scope)
            metrics.observe_request(method, route, status, seconds)
            level = logging.DEBUG if (path.startswith(QUIET_PATHS) and status < 400) or status == 429 else (
                logging.WARNING if status >= 500 else logging.INFO)
            if status == 429:
                summary = self.limited.note(path)
                if summary:
                    log.warning(summary)
            access_log.log(level, "%s %s %s", method, path, status,
                           extra={"status": status, "duration_ms": round(seconds * 1000, 1), "method": method, "route": route})
            request_id_var.reset(rid_token)
            path_var.reset(path_token)


def _filings_engine(app: FastAPI) -> Any:
    services = app.state.services  # None until the app's services are started
    return services.filings.engine if services is not None else None


def install(app: FastAPI, settings: Settings, limiter: RateLimiter) -> None:
    """Add the request middleware and /metrics; configure logging under `lingling serve`."""
    if settings.announce:
        configure_logging(settings.log_format, settings.log_level)
    app.add_middleware(RequestObserver)  # type: ignore[arg-type]
    limiter.on_limited = metrics.observe_rate_limited
    if not settings.metrics:
        return
    collectors = [metrics.FilingsCollector(lambda: _filings_engine(app))]

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        token = settings.metrics_token
        if token:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return JSONResponse(envelope("unauthorized", "需要授权才能查看监控指标。"), status_code=401,
                                    headers={"WWW-Authenticate": "Bearer"})
        elif settings.env is Environment.PRODUCTION and not (is_loopback(request.client.host if request.client else "")
                                                             and not relayed(request.scope)):
            # production without a token: a Prometheus on this machine only (a relayed request is someone else's)
            return JSONResponse(envelope("forbidden", "监控指标只对本机开放。", "set LINGLING_METRICS_TOKEN to scrape "
                                         "/metrics from elsewhere"), status_code=403)
        body, content_type = metrics.exposition(collectors)  # type: ignore[arg-type]
        return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})
