"""Helpers shared by tests/security and tests/privacy: a lost-notice filing through the REST channel and a staff
login through the console's form."""

from __future__ import annotations

import re
from typing import Any

REST = "/webhooks/rest/webhook"
PASSWORD = "correct-horse-9"
USCC = "91370211MA3C1234XN"
PHONE = "13812345678"


def say(client: Any, sender: str, text: str) -> list[dict[str, Any]]:
    r = client.post(REST, json={"sender": sender, "message": text})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def lost_notice_steps(company: str = "青岛明远餐饮有限公司", circumstances: str = "搬迁办公场所时遗失正本",
                      contact: str = "张海", phone: str = PHONE) -> list[str]:
    return ["/start_lost_notice", company, USCC, '/inform{"license_type": "食品经营许可证"}', "JY13702110012345",
            "正本", "2025-05-01", circumstances, contact, phone]


def file_lost_notice(client: Any, sender: str, **fields: str) -> dict[str, Any]:
    """Fill the lost-notice form and confirm; the receipt card (`custom`)."""
    for text in lost_notice_steps(**fields):
        body = say(client, sender, text)
    assert body[-1].get("custom", {}).get("type") == "readback", body
    receipt = say(client, sender, "/affirm")[-1]["custom"]
    assert receipt["type"] == "receipt", receipt
    return receipt  # type: ignore[no-any-return]


def cheap_hashing(monkeypatch: Any) -> None:
    """Argon2 with test parameters (production parameters take ~0.5 s a hash)."""
    from argon2 import PasswordHasher

    from assistant.staff import users

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", cheap)
    monkeypatch.setattr(users, "_DUMMY_HASH", cheap.hash("no-such-user"))


def staff_user(client: Any, role: str) -> str:
    """Create a staff account with this role (username = role) in the client's app."""
    client.app.state.services.staff.users.create(role, PASSWORD, role, f"测试{role}")
    return role


def login(client: Any, username: str) -> str:
    """Log in through the form; the session's CSRF token."""
    page = client.get("/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    r = client.post("/admin/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1),
                                          "next": "/admin"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    home = client.get("/admin")
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', home.text)
    assert csrf, home.text[:500]
    return csrf.group(1)
