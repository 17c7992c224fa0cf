"""Accounts, sessions, CSRF, lock-out, roles and the audit log of the staff console (API level)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from tests.staff.conftest import PASSWORD, csrf_of, login, login_token, staff_of


def test_admin_pages_need_a_login(client: Any) -> None:
    r = client.get("/admin/knowledge", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login?next=")
    assert client.post("/admin/api/hittest", json={"text": "你好"}).status_code == 401


def test_login_sets_a_hardened_cookie_and_logout_ends_the_session(client: Any, users: dict[str, Any]) -> None:
    r = login(client, "editor")
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    cookie = r.headers["set-cookie"]
    assert "lingling_staff=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain http in tests; production sets Secure
    page = client.get("/admin")
    assert page.status_code == 200 and "测试editor" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    token = csrf_of(client)
    assert client.post("/admin/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_secure_cookie_in_production(tmp_path: Path, parts: Any) -> None:
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.settings import Settings

    settings = Settings(data_dir=tmp_path, env="production", secret_key="prod-secret-for-test")
    with TestClient(create_app(settings, knowledge_factory=parts.knowledge_factory())) as c:
        staff_of(c).users.create("boss", PASSWORD, "admin")
        cookie = login(c, "boss").headers["set-cookie"]
    assert "Secure" in cookie


def test_a_forged_or_foreign_cookie_is_not_a_session(client: Any, users: dict[str, Any]) -> None:
    client.cookies.set("lingling_staff", "forged.value.here", path="/admin")
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_csrf_token_is_required_on_every_post(client: Any, users: dict[str, Any]) -> None:
    login(client, "admin")
    # no token at all: form post and JSON post
    r = client.post("/admin/knowledge/new", data={"item_id": "x-y", "name": "x"})
    assert r.status_code == 403 and "CSRF" in r.text
    assert client.post("/admin/api/hittest", json={"text": "你好"}).status_code == 403
    # a wrong token
    assert client.post("/admin/api/hittest", json={"text": "你好"}, headers={"X-CSRF-Token": "nope"}).status_code == 403
    # the session's token works (header for fetch calls, field for forms)
    token = csrf_of(client)
    assert client.post("/admin/api/hittest", json={"text": "你好"}, headers={"X-CSRF-Token": token}).status_code == 200
    r = client.post("/admin/knowledge/new", data={"item_id": "x-y", "name": "新事项", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303


def test_login_form_has_its_own_csrf_token(client: Any, users: dict[str, Any]) -> None:
    client.get("/admin/login")
    r = client.post("/admin/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"},
                    follow_redirects=False)
    assert r.status_code == 403 and "lingling_staff=" not in r.headers.get("set-cookie", "")


def test_lockout_after_five_failures_per_username(client: Any, users: dict[str, Any]) -> None:
    for _ in range(5):
        r = login(client, "editor", "wrong-password")
        assert r.status_code == 401 and "用户名或密码不正确" in r.text
    r = login(client, "editor")  # the right password no longer helps
    assert r.status_code == 429 and "锁定" in r.text and "15" in r.text
    st = staff_of(client)
    st.guard.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    assert login(client, "editor").status_code == 303


def test_lockout_per_client_ip_across_usernames(client: Any, users: dict[str, Any]) -> None:
    for name in ("a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10"):
        assert login(client, name, "wrong").status_code == 401
    r = login(client, "admin")
    assert r.status_code == 429 and "本机" in r.text


def test_roles_are_enforced(client: Any, users: dict[str, Any]) -> None:
    login(client, "editor")
    token = csrf_of(client)
    assert client.get("/admin/filings").status_code == 403
    r = client.post("/admin/filings/LN20250101001/approve", data={"csrf_token": token})
    assert r.status_code == 403
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/knowledge").status_code == 200
    client.post("/admin/logout", data={"csrf_token": token})
    login(client, "reviewer")
    token = csrf_of(client)
    assert client.get("/admin/knowledge").status_code == 403
    assert client.post("/admin/knowledge/new", data={"item_id": "a-b", "name": "x", "csrf_token": token}).status_code == 403
    assert client.get("/admin/filings").status_code == 200


def test_audit_log_records_staff_actions(client: Any, users: dict[str, Any]) -> None:
    login(client, "editor", "bad-password")
    login(client, "editor")
    token = csrf_of(client)
    client.post("/admin/knowledge/new", data={"item_id": "audit-me", "name": "审计", "csrf_token": token})
    entries, total = staff_of(client).audit.entries()
    actions = [(e.actor, e.action, e.target) for e in entries]
    assert ("editor", "draft_save", "audit-me") in actions
    assert ("editor", "login", "editor") in actions
    assert ("editor", "login_failed", "editor") in actions
    assert all(e.ip for e in entries)
    # only admins read it
    assert client.get("/admin/audit").status_code == 403
    client.post("/admin/logout", data={"csrf_token": token})
    login(client, "admin")
    page = client.get("/admin/audit")
    assert page.status_code == 200 and "audit-me" in page.text and "保存草稿" in page.text


def test_cli_creates_the_first_admin(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    import io

    from assistant.cli import main

    args = ["--data-dir", str(tmp_path), "admin", "create", "--username", "root", "--role", "admin", "--password-stdin"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-password\n"))
    assert main(args) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(args[:4] + ["--username", "r2", "--role", "editor", "--password-stdin"]) == 1
    assert "8" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("another-password\n"))
    assert main(args[:2] + ["admin", "passwd", "--username", "root", "--password-stdin"]) == 0
    from assistant.staff.db import migrate
    from assistant.staff.users import UserStore
    from knowledge.store import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'lingling.db'}")
    migrate(engine)
    store = UserStore(engine)
    assert store.verify("root", "another-password") is not None and store.get_by_name("root").role == "admin"
    assert store.get_by_name("r2") is None
    assert login_token('<input name="csrf_token" value="abc">') == "abc"
