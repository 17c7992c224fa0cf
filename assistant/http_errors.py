"""The one place where errors become HTTP answers: the app's own (assistant/errors.py), the knowledge's, the
NLU's, the filings', a database outage (503 with Retry-After), malformed requests and anything unexpected."""

from __future__ import annotations

import logging
import sqlite3

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from actions.filings import FilingError
from assistant.errors import AppError
from knowledge.errors import KnowledgeError, NotFound
from nlu.errors import NluError, ParseBusy

log = logging.getLogger(__name__)
DB_DOWN = "系统正在维护或数据库暂时不可用，请稍后再试；急事请拨打大厅咨询电话。"
BUSY = "灵灵现在咨询的人比较多，请稍后再试。"
DB_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError, PoolTimeout, sqlite3.OperationalError)


def _body(code: str, message: str, detail: str = "") -> dict[str, str]:
    out = {"error": code, "message": message}
    if detail:
        out["detail"] = detail
    return out


def _db_down(_: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", exc.__class__.__name__)
    return JSONResponse({"error": "unavailable", "message": DB_DOWN, "detail": f"database: {exc.__class__.__name__}"},
                        status_code=503, headers={"Retry-After": "5"})


def install_error_handlers(app: FastAPI, postgres: bool = False) -> None:
    """Map every error family to its HTTP answer (`postgres`: psycopg's connection errors too)."""
    for exc_class in DB_ERRORS:
        app.add_exception_handler(exc_class, _db_down)
    if postgres:  # only a PostgreSQL app talks to psycopg directly (importing it takes ~0.1 s)
        import psycopg

        app.add_exception_handler(psycopg.OperationalError, _db_down)

    @app.exception_handler(FilingError)
    async def _filing_error(_: Request, exc: FilingError) -> JSONResponse:
        if exc.status >= 500:
            log.error("filing error: %s", exc.detail)
        return JSONResponse({"error": exc.code, "message": exc.message, "detail": exc.detail}, status_code=exc.status)

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.message, exc.detail), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        detail = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in errors[:5])
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(_body("bad_json", "请求内容不是有效的 JSON，请检查后重试。", detail), status_code=422)
        return JSONResponse(_body("bad_request", "请求格式不正确，请检查后重试。", detail), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {400: "请求格式不正确，请检查后重试。", 404: "没有找到您要的内容。", 405: "不支持这种请求方式。",
                    413: "内容太长了，请精简后再发送。", 429: "请求太频繁，请稍后再试。"}
        body = _body(f"http_{exc.status_code}", messages.get(exc.status_code, "请求未能完成，请稍后再试。"), str(exc.detail))
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(_body("not_found", "没有找到您要的内容。", str(exc)), status_code=404)

    @app.exception_handler(KnowledgeError)
    async def _knowledge(_: Request, exc: KnowledgeError) -> JSONResponse:
        return JSONResponse(_body("knowledge_error", "知识库内容有误，请联系工作人员。", str(exc)), status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Normally answered by assistant.observability's request middleware (with the request id); this is the
        # last resort of Starlette's ServerErrorMiddleware. Nothing of the exception reaches the client.
        log.error("unhandled %s on %s", exc.__class__.__name__, request.url.path)
        return JSONResponse(_body("internal_error", "服务出了点问题，请稍后再试；也可以拨打大厅咨询电话。"), status_code=500)

    @app.exception_handler(ParseBusy)
    async def _busy(_: Request, exc: ParseBusy) -> JSONResponse:
        log.warning("parser busy: %s", exc)
        return JSONResponse(_body("busy", BUSY, str(exc)), status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(NluError)
    async def _nlu(_: Request, exc: NluError) -> JSONResponse:
        log.exception("nlu error")
        return JSONResponse(_body("nlu_unavailable", "服务暂时不可用，请稍后再试。", str(exc)), status_code=503)
