"""Admins: staff accounts and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from assistant.staff.audit import ACTION_LABELS
from assistant.staff.users import ROLES, UserError
from assistant.staff.web import ADMINS, Auth, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = 50


def _page(request: Request, auth: Auth, message: str = "", status: int = 200) -> Response:
    return render(request, "admin/users.html", {"users": auth.staff.users.all(), "roles": ROLES, "message": message}, status, auth=auth)


@router.get("/admin/users")
def users(request: Request, auth: Auth = ADMINS) -> Response:
    return _page(request, auth)


@router.post("/admin/users")
def create(request: Request, auth: Auth = ADMINS, username: str = Form(default="", max_length=64),
           display_name: str = Form(default="", max_length=64), role: str = Form(default="editor", max_length=16),
           password: str = Form(default="", max_length=256)) -> Response:
    try:
        user = auth.staff.users.create(username, password, role, display_name)
    except UserError as exc:
        return _page(request, auth, exc.message, 422)
    auth.record("user_create", user.username, None, {"role": user.role, "display_name": user.display_name})
    return redirect("/admin/users", "user")


@router.post("/admin/users/{user_id}")
def update(request: Request, user_id: int = Path(ge=1), auth: Auth = ADMINS, role: str = Form(default="", max_length=16),
           active: str = Form(default="", max_length=5), display_name: str = Form(default="", max_length=64)) -> Response:
    st = auth.staff
    before = st.users.get(user_id)
    if before is None:
        return _page(request, auth, "没有这个用户。", 404)
    try:
        after = st.users.update(user_id, role=role or None, active={"1": True, "0": False}.get(active),
                                display_name=display_name if display_name else None)
    except UserError as exc:
        return _page(request, auth, exc.message, 422)
    if not after.active or after.role != before.role:
        st.sessions.end_all(user_id)  # a changed role or a disabled account takes effect at once
    auth.record("user_update", before.username, {"role": before.role, "active": before.active},
                {"role": after.role, "active": after.active})
    return redirect("/admin/users", "user")


@router.post("/admin/users/{user_id}/password")
def reset_password(request: Request, user_id: int = Path(ge=1), auth: Auth = ADMINS,
                   password: str = Form(default="", max_length=256)) -> Response:
    st = auth.staff
    user = st.users.get(user_id)
    if user is None:
        return _page(request, auth, "没有这个用户。", 404)
    try:
        st.users.set_password(user_id, password)
    except UserError as exc:
        return _page(request, auth, exc.message, 422)
    st.sessions.end_all(user_id, keep=auth.session.sid if user_id == auth.user.id else None)
    auth.record("user_password", user.username)
    return redirect("/admin/users", "password")


@router.get("/admin/audit")
def audit(request: Request, auth: Auth = ADMINS, actor: str = Query(default="", max_length=64),
          action: str = Query(default="", max_length=64), target: str = Query(default="", max_length=200),
          page: int = Query(default=1, ge=1, le=10_000)) -> Response:
    entries, total = auth.staff.audit.entries(actor, action, target, PAGE, (page - 1) * PAGE)
    pages = max(1, (total + PAGE - 1) // PAGE)
    return render(request, "admin/audit.html", {"entries": entries, "total": total, "page": page, "pages": pages,
                                                "actor": actor, "action": action, "target": target,
                                                "actions": ACTION_LABELS}, auth=auth)
