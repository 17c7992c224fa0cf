"""A person's conversation found, exported (JSON) and deleted on request by an admin, every step audited;
editors and reviewers may not; filings stay."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.security.flows import PHONE, cheap_hashing, file_lost_notice, login, say, staff_user

SENDER = "subject-sender-0001"


@pytest.fixture
def client(make_client: Any, monkeypatch: Any) -> Any:
    cheap_hashing(monkeypatch)
    client = make_client(rate_limit=False)
    client.receipt = file_lost_notice(client, SENDER)
    say(client, "someone-else-0001", "你好")
    return client


def audit(client: Any) -> list[Any]:
    entries, _ = client.app.state.services.staff.audit.entries(limit=100)
    return entries


def test_find_export_delete(client: Any) -> None:
    staff_user(client, "admin")
    csrf = login(client, "admin")
    filing_id = client.receipt["filing_id"]
    for params in ({"sender": SENDER}, {"filing": filing_id.lower()}, {"phone": "+86 138-1234-5678"}):
        found = client.get("/admin/privacy/conversations", params=params, headers={"Accept": "application/json"})
        assert found.status_code == 200, found.text
        (match,) = found.json()["matches"]
        assert match["sender_id"] == SENDER and match["turns"] == 11 and match["filings"] == [filing_id]
    page = client.get("/admin/privacy", params={"phone": PHONE})
    assert page.status_code == 200 and SENDER in page.text and "导出 JSON" in page.text
    assert "/admin/privacy" in client.get("/admin").text  # in the admin's menu

    exported = client.get("/admin/privacy/export", params={"sender": SENDER})
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].startswith("attachment;")
    data = json.loads(exported.content)
    assert data["sender_id"] == SENDER and len(data["turns"]) == 11 and data["filings"] == [filing_id]
    assert data["conversation"]["state"]["sender_id"] == SENDER

    missing_csrf = client.post("/admin/privacy/delete", json={"sender": SENDER}, headers={"Accept": "application/json"})
    assert missing_csrf.status_code == 403
    deleted = client.post("/admin/privacy/delete", json={"sender": SENDER}, headers={"X-CSRF-Token": csrf})
    assert deleted.status_code == 200 and deleted.json()["deleted"] == {"conversations": 1, "turns": 11, "tickets": 0}
    dm = client.app.state.services.dialogue
    assert dm.export(SENDER) == {"sender_id": SENDER, "state": None, "turns": []}
    assert dm.export("someone-else-0001")["turns"]  # nobody else's
    assert client.app.state.services.filings.get(filing_id).contact_phone == PHONE  # filings are kept
    after = client.get("/admin/privacy/export", params={"sender": "no-such-sender"})
    assert after.status_code == 404

    actions = [(e.action, e.target, e.actor) for e in audit(client)]
    assert ("privacy_export", SENDER, "admin") in actions and ("privacy_delete", SENDER, "admin") in actions
    lookups = [e for e in audit(client) if e.action == "privacy_lookup"]
    assert lookups and all(PHONE not in json.dumps(e.after, ensure_ascii=False) + e.target for e in lookups)
    audit_page = client.get("/admin/audit").text
    assert "删除个人对话" in audit_page and "导出个人对话" in audit_page


def test_delete_by_form(client: Any) -> None:
    staff_user(client, "admin")
    csrf = login(client, "admin")
    r = client.post("/admin/privacy/delete", data={"sender": SENDER, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/privacy")
    assert client.app.state.services.dialogue.export(SENDER)["turns"] == []


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_only_admins(client: Any, role: str) -> None:
    staff_user(client, role)
    csrf = login(client, role)
    accept = {"Accept": "application/json"}
    assert client.get("/admin/privacy/conversations", params={"sender": SENDER}, headers=accept).status_code == 403
    assert client.get("/admin/privacy/export", params={"sender": SENDER}, headers=accept).status_code == 403
    assert client.post("/admin/privacy/delete", json={"sender": SENDER}, headers={"X-CSRF-Token": csrf}).status_code == 403
    assert client.get("/admin/privacy").status_code == 403
    assert client.app.state.services.dialogue.export(SENDER)["turns"]


def test_not_logged_in(client: Any) -> None:
    assert client.get("/admin/privacy/export", params={"sender": SENDER}, headers={"Accept": "application/json"}).status_code == 401
    assert client.post("/admin/privacy/delete", json={"sender": SENDER}).status_code == 401


def test_cli_find_export_delete(client: Any, tmp_path: Any, capsys: Any) -> None:
    from assistant.cli import main

    data_dir = str(client.app.state.settings.data_dir)
    assert main(["--data-dir", data_dir, "privacy", "find", "--phone", PHONE]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["sender_id"] == SENDER
    out = tmp_path / "export.json"
    assert main(["--data-dir", data_dir, "privacy", "export", "--sender", SENDER, "-o", str(out)]) == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))["turns"]) == 11
    assert main(["--data-dir", data_dir, "privacy", "delete", "--sender", SENDER]) == 2  # needs --yes
    assert main(["--data-dir", data_dir, "privacy", "delete", "--sender", SENDER, "--yes"]) == 0
    assert "deleted 1 conversation state(s), 11 turn(s) and 0 handoff ticket(s)" in capsys.readouterr().out
    assert main(["--data-dir", data_dir, "privacy", "export", "--sender", SENDER]) == 0
    left = json.loads(capsys.readouterr().out)
    assert left["conversation"] is None and left["turns"] == [] and left["filings"] == [client.receipt["filing_id"]]
    assert main(["--data-dir", data_dir, "privacy", "export", "--sender", "nobody"]) == 1
    assert {(e.action, e.target) for e in audit(client) if e.actor.startswith("cli:")} >= {
        ("privacy_export", SENDER), ("privacy_delete", SENDER)}
