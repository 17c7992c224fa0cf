"""Login, logout, the overview page and one's own password."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from actions.filings.figures import validation_figures
from assistant.services import services_of
from assistant.settings import Environment
from assistant.staff.lockout import Lock
from assistant.staff.sessions import COOKIE, LOGIN_COOKIE, MAX_AGE
from assistant.staff.users import AGENT, EDITOR, REVIEWER, HashBusy, UserError
from assistant.staff.web import STAFF, Auth, client_ip, local_time, redirect, render, staff

router = APIRouter(include_in_schema=False)


def _secure(request: Request) -> bool:
    """Secure cookies in production, when the settings say TLS, or over https."""
    settings = request.app.state.settings
    return bool(settings.tls) or settings.env is Environment.PRODUCTION or request.url.scheme == "https"


def _safe_next(target: str) -> str:
    return target if target.startswith("/admin") and not target.startswith("//") and "\\" not in target else "/admin"


def _login_page(request: Request, message: str = "", username: str = "", status: int = 200, target: str = "") -> Response:
    st = staff(request)
    token, cookie = st.sessions.login_token()
    response = render(request, "admin/login.html", {"token": token, "message": message, "username": username,
                                                    "next": _safe_next(target or request.query_params.get("next", ""))}, status)
    response.set_cookie(LOGIN_COOKIE, cookie, max_age=3600, httponly=True, samesite="strict", secure=_secure(request),
                        path="/admin")
    return response


def _locked_page(request: Request, lock: Lock, now: dt.datetime, username: str, target: str) -> Response:
    seconds = max(1, math.ceil((lock.until - now).total_seconds()))
    if lock.by == "slowdown":  # the account from every client: a wait, never a lock-out
        message = f"该账号近期登录失败次数较多，请 {seconds} 秒后再试。"
    else:
        who = "该账号在本机" if lock.by == "account" else "本机"
        message = (f"登录失败次数过多，{who}已被锁定。请在 {local_time(lock.until, '%H:%M')} 后"
                   f"（约 {max(1, round(seconds / 60))} 分钟）再试，或联系管理员。")
    page = _login_page(request, message, username, 429, target)
    page.headers["Retry-After"] = str(seconds)
    return page


@router.get("/admin/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/admin/login")
def login(request: Request, username: str = Form(default="", max_length=64), password: str = Form(default="", max_length=256),
          csrf_token: str = Form(default=""), next: str = Form(default="/admin")) -> Response:
    st = staff(request)
    ip = client_ip(request)
    username = username.strip()
    if not st.sessions.login_token_ok(request.cookies.get(LOGIN_COOKIE), csrf_token):
        return _login_page(request, "页面已过期，请重新输入后登录。", username, 403, next)
    lock = st.guard.admit(username, ip)  # counted as a failure until it succeeds (assistant/staff/lockout.py)
    if lock is not None:
        return _locked_page(request, lock, st.guard.clock(), username, next)
    try:
        user = st.users.verify(username, password)
    except HashBusy as exc:
        st.guard.refund(username, ip)
        page = _login_page(request, exc.message, username, 503, next)
        page.headers["Retry-After"] = "5"
        return page
    st.guard.record(username, ip, user is not None)
    if user is None:
        st.audit.record(username or "-", "login_failed", username, None, None, ip)
        return _login_page(request, "用户名或密码不正确。", username, 401, next)
    st.guard.succeeded(username, ip)
    session = st.sessions.create(user.id, ip)
    st.audit.record(user.username, "login", user.username, None, {"role": user.role}, ip)
    response = redirect(_safe_next(next))
    response.set_cookie(COOKIE, st.sessions.cookie_value(session), max_age=int(MAX_AGE.total_seconds()),
                        httponly=True, samesite="lax", secure=_secure(request), path="/admin")
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


@router.post("/admin/logout")
def logout(request: Request, auth: Auth = STAFF) -> Response:
    auth.staff.sessions.end(auth.session.sid)
    auth.record("logout", auth.user.username)
    response = redirect("/admin/login")
    response.delete_cookie(COOKIE, path="/admin")
    return response


def _overview(auth: Auth) -> dict[str, Any]:
    st = auth.staff
    kb = st.live.current.kb
    out: dict[str, Any] = {"items": len(kb.items), "faqs": len(kb.faqs)}
    if auth.user.can(EDITOR):
        out["drafts"] = len(st.store.drafts())
        from assistant.staff.inbox import Inbox

        out["inbox"] = Inbox(st).count()
    filings = st.filings
    if auth.user.can(REVIEWER):
        out["lost_pending"] = len(filings.list_filings("lost_notice", "submitted", limit=500))
        out["lost_approved"] = len(filings.list_filings("lost_notice", "approved", limit=500))
        out["validations_open"] = sum(len(filings.list_filings("medical_validation", s, limit=500))
                                      for s in ("submitted", "in_review", "onsite", "rectification"))
        out["validation"] = validation_figures(filings, st.today())  # computed from the records (figures.py)
    return out


@router.get("/admin")
async def home(request: Request, auth: Auth = STAFF) -> Response:
    counts = await run_in_threadpool(_overview, auth)
    if auth.user.can(AGENT):
        queue = await run_in_threadpool(services_of(request).handoff.queue)
        counts["handoff_waiting"] = sum(1 for t in queue if t.status == "open")
        counts["handoff_open"] = len(queue)
    return render(request, "admin/home.html", {"counts": counts}, auth=auth)


@router.get("/admin/account")
def account(request: Request, auth: Auth = STAFF) -> Response:
    return render(request, "admin/account.html", {"message": ""}, auth=auth)


@router.post("/admin/account")
def change_password(request: Request, auth: Auth = STAFF, current: str = Form(default=""),
                    password: str = Form(default=""), again: str = Form(default="")) -> Response:
    st = auth.staff
    message = ""
    try:
        if st.users.verify(auth.user.username, current) is None:
            message = "当前密码不正确。"
        elif password != again:
            message = "两次输入的新密码不一致。"
        else:
            st.users.set_password(auth.user.id, password)
    except UserError as exc:  # HashBusy too
        message = exc.message
    if message:
        return render(request, "admin/account.html", {"message": message}, 422, auth=auth)
    st.sessions.end_all(auth.user.id, keep=auth.session.sid)
    auth.record("password_change", auth.user.username)
    return redirect("/admin/account", "password")
