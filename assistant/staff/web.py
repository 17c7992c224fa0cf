"""What every console route shares: templates, security headers, the logged-in user, roles and CSRF."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from assistant.services import services_of
from assistant.staff.forms import zh_message
from assistant.staff.services import Staff
from assistant.staff.sessions import COOKIE, Session, tokens_match
from assistant.staff.users import ADMIN, AGENT, EDITOR, REVIEWER, ROLE_LABELS, User
from knowledge.clock import beijing

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-src 'none'; "
       "frame-ancestors 'none'")
NAV = (  # (path, label, roles that see it; empty = everyone)
    ("/admin", "概览", ()),
    ("/admin/knowledge", "知识库", (EDITOR,)),
    ("/admin/hittest", "命中测试", (EDITOR,)),
    ("/admin/inbox", "待处理问题", (EDITOR,)),
    ("/admin/filings", "办件审核", (REVIEWER,)),
    ("/admin/handoff", "人工咨询", (AGENT,)),  # assistant/staff/routes/handoff.py
    ("/admin/analytics", "数据分析", ()),
    ("/admin/users", "用户", (ADMIN,)),
    ("/admin/audit", "操作日志", (ADMIN,)),
    ("/admin/privacy", "个人信息", (ADMIN,)),  # assistant/privacy/routes.py
)
FLASH = {
    "saved": "草稿已保存。", "published": "已发布，新版本已生效。", "rolled_back": "已回滚，旧版本已作为新版本发布。",
    "retired": "事项已停用。", "discarded": "草稿已放弃。", "created": "已创建。", "imported": "导入完成。",
    "dismissed": "已忽略。", "variant": "已加入草稿，请检查后发布。", "new_faq": "已新建问答草稿，请补全后发布。",
    "filing": "办件已更新。", "user": "用户已更新。", "password": "密码已修改。", "question": "测试问题已更新。",
    "removed": "已删除。",
}


class NotLoggedIn(Exception):
    """No valid session."""


class Forbidden(Exception):
    """Logged in, but the role (or the CSRF token) does not allow the request."""

    def __init__(self, message: str = "您没有权限进行此操作。"):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Auth:
    """The request's staff context."""

    staff: Staff
    user: User
    session: Session
    ip: str

    def record(self, action: str, target: str = "", before: Any = None, after: Any = None) -> None:
        self.staff.audit.record(self.user.username, action, target, before, after, self.ip)


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else beijing(value).strftime(fmt)


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["local"] = local_time
    env.filters["zh"] = zh_message
    env.globals["ROLE_LABELS"] = ROLE_LABELS
    return env


templates = _env()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def can_open(user: User, target: str) -> bool:
    """Whether the user's role opens a console page (the longest NAV prefix of its path decides): a page shows
    no link that would lead to 无权操作."""
    path = target.split("?", 1)[0].rstrip("/") or "/"
    for prefix, _label, roles in sorted(NAV, key=lambda n: len(n[0]), reverse=True):
        if path == prefix or path.startswith(prefix + "/"):
            return not roles or user.can(*roles)
    return True


def render(request: Request, name: str, context: dict[str, Any], status: int = 200, auth: Auth | None = None) -> HTMLResponse:
    """A console page (autoescaped) with the console's security headers."""
    ctx: dict[str, Any] = {"request": request, "path": request.url.path, "flash": FLASH.get(request.query_params.get("done", ""))}
    if auth is not None:
        user = auth.user
        ctx.update(user=user, csrf=auth.session.csrf_token,
                   nav=[(p, label) for p, label, roles in NAV if not roles or user.can(*roles)],
                   can_open=lambda target: can_open(user, target))
    ctx.update(context)
    return secure_headers(HTMLResponse(templates.get_template(name).render(**ctx), status_code=status))  # type: ignore[return-value]


def redirect(url: str, done: str = "") -> RedirectResponse:
    if done:
        url += ("&" if "?" in url else "?") + "done=" + quote(done)
    response = RedirectResponse(url, status_code=303)
    secure_headers(response)
    return response


def staff(request: Request) -> Staff:
    """The console's objects (503 while the app starts)."""
    return services_of(request).staff


async def current(request: Request) -> Auth:
    """The logged-in user; CSRF token checked on every state-changing request."""
    st = await run_in_threadpool(staff, request)
    session = await run_in_threadpool(st.sessions.find, request.cookies.get(COOKIE))
    user = await run_in_threadpool(st.users.get, session.user_id) if session else None
    if session is None or user is None or not user.active:
        raise NotLoggedIn()
    if request.method not in SAFE_METHODS:
        token = request.headers.get("x-csrf-token")
        if token is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            token = str((await request.form()).get("csrf_token") or "")
        if not tokens_match(token, session.csrf_token):
            raise Forbidden("页面已过期或请求来源不可信（CSRF 校验失败），请刷新页面后重试。")
    return Auth(st, user, session, client_ip(request))


_CURRENT = Depends(current)


def need(*roles: str) -> Any:
    """A dependency: the logged-in user, who must have one of `roles` (admins always may)."""

    async def check(auth: Auth = _CURRENT) -> Auth:
        if not auth.user.can(*roles):
            raise Forbidden()
        return auth

    return Depends(check)


STAFF = need()  # any logged-in staff member
EDITORS = need(EDITOR)  # knowledge: editors and admins
REVIEWERS = need(REVIEWER)  # filings: reviewers and admins
AGENTS = need(AGENT)  # handoff tickets (人工咨询): front-desk staff and admins
ADMINS = need(ADMIN)  # users and the audit log


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/admin/api/") or "application/json" in request.headers.get("accept", "")


def install_handlers(app: FastAPI) -> None:
    """Answers for NotLoggedIn (login page or 401) and Forbidden (403)."""

    @app.exception_handler(NotLoggedIn)
    async def _login(request: Request, _: NotLoggedIn) -> Response:
        if request.method == "GET" and not _wants_json(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return redirect("/admin/login?next=" + quote(target, safe=""))
        return secure_headers(JSONResponse({"error": "not_logged_in", "message": "请先登录。"}, status_code=401))

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if _wants_json(request):
            return secure_headers(JSONResponse({"error": "forbidden", "message": exc.message}, status_code=403))
        return render(request, "admin/error.html", {"title": "无权操作", "message": exc.message}, 403)
