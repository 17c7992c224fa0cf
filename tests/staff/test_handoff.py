"""人工咨询 in the staff console, end to end through HTTP: a 留言 left in the portal chat is answered in the
console and the answer reaches the applicant's conversation; 呼叫导服 from kiosk 3 is in the queue; who may do
what (roles, CSRF); the hall's hours; tickets across a restart; a person's data (export, delete, retention)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from knowledge.clock import ManualClock
from tests.staff.conftest import PASSWORD, Parts, csrf_of, login, settings_for

FRIDAY_10 = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 in Qingdao: the hall is open
FRIDAY_19 = FRIDAY_10 + dt.timedelta(hours=9)
PORTAL = "p" * 16 + "0123456789abcdef"
KIOSK = "k" * 16 + "0123456789abcdef"
PHONE = "13912345678"


@pytest.fixture
def app_at(tmp_path: Path, parts: Parts) -> Iterator[Callable[..., Any]]:
    """app_at(moment, name="state") → a started TestClient of an app whose clock stands at `moment`."""
    from fastapi.testclient import TestClient

    from assistant.app import create_app

    with ExitStack() as stack:
        def make(moment: dt.datetime = FRIDAY_10, name: str = "state", **extra: Any) -> Any:
            app = create_app(settings_for(tmp_path / name, **extra), knowledge_factory=parts.knowledge_factory(),
                             clock=ManualClock(moment))
            client = stack.enter_context(TestClient(app, base_url="http://testserver"))
            st = client.app.state.services.staff
            for role in ("admin", "editor", "reviewer", "agent"):
                if st.users.get_by_name(role) is None:
                    st.users.create(role, PASSWORD, role, f"测试{role}")
            return client

        yield make


def chat(client: Any, message: str, sender: str = PORTAL, face: str = "portal", kiosk: str | None = None
         ) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"sender": sender, "message": message, "face": face}
    if kiosk:
        body["kiosk"] = kiosk
    r = client.post("/api/chat", json=body)
    assert r.status_code == 200, r.text
    return r.json()["messages"]  # type: ignore[no-any-return]


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def buttons(messages: list[dict[str, Any]]) -> list[str]:
    return [b["title"] for m in messages for b in m.get("buttons") or []]


def card(messages: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(m["custom"] for m in messages if (m.get("custom") or {}).get("type") == kind)


def leave_message(client: Any, sender: str = PORTAL, question: str = "营业执照经营范围变更，食品经营许可证要不要一起改？"
                  ) -> dict[str, Any]:
    assert "留言" in buttons(chat(client, "转人工", sender))
    assert "请写下您想咨询的问题" in texts(chat(client, "/leave_message", sender))
    chat(client, question, sender)
    assert "回电号码：13912345678" in texts(chat(client, PHONE, sender))
    done = chat(client, "/affirm", sender)
    assert "留言已提交" in texts(done) and "139****5678" in texts(done)
    return card(done, "handoff_ticket")


def audit_actions(client: Any) -> list[str]:
    entries, _ = client.app.state.services.staff.audit.entries(limit=200)
    return [e.action for e in reversed(entries)]


def updates(client: Any, sender: str = PORTAL, since: int = 0) -> dict[str, Any]:
    r = client.get("/api/chat/updates", params={"sender": sender, "since": since})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_message_answered_in_the_console_reaches_the_applicant(app_at: Callable[..., Any]) -> None:
    client = app_at()
    ticket = leave_message(client)
    assert updates(client) == {"entries": [], "cursor": 0, "waiting": True}

    login(client, "agent")
    assert 'href="/admin/handoff"' in client.get("/admin").text and "人工咨询待处理" in client.get("/admin").text
    queue = client.get("/admin/handoff")
    assert queue.status_code == 200, queue.text
    assert "营业执照经营范围变更" in queue.text and "139****5678" in queue.text and PHONE not in queue.text
    rows = client.get("/admin/api/handoff/queue").json()
    (row,) = rows["tickets"]
    assert row["id"] == ticket["ticket_id"] and row["kind"] == "message" and row["where"] == "网站" and rows["open"]

    page = client.get(f"/admin/handoff/{row['id']}")
    assert page.status_code == 200 and "转人工" in page.text and "（点击）留言" in page.text
    assert PHONE not in page.text and "139****5678" in page.text  # the number is masked until asked for
    csrf = csrf_of(client)
    shown = client.post(f"/admin/handoff/{row['id']}/phone", data={"csrf_token": csrf})
    assert shown.status_code == 200 and f'href="tel:{PHONE}"' in shown.text

    for action, data in (("claim", {}), ("reply", {"text": "需要一起变更，请带营业执照和许可证正副本到 3 号窗口。"}),
                         ("close", {"outcome": "answered", "note": "已答复"})):
        r = client.post(f"/admin/handoff/{row['id']}/{action}", data={"csrf_token": csrf, **data}, follow_redirects=False)
        assert r.status_code == 303, r.text

    got = updates(client)
    said = [e["messages"][0] for e in got["entries"]]
    assert [m["custom"]["kind"] for m in said] == ["status", "reply", "status"]
    assert said[1]["text"] == "工作人员回复：需要一起变更，请带营业执照和许可证正副本到 3 号窗口。"
    assert said[2]["custom"]["closed"] and not got["waiting"] and got["cursor"] == said[2]["custom"]["reply_id"]
    assert updates(client, since=got["cursor"])["entries"] == []
    history = client.get("/api/history", params={"sender": PORTAL}).json()
    assert history["waiting"] is False
    assert [e.get("kind", e["role"]) for e in history["entries"]][-3:] == ["staff", "staff", "staff"]
    closed = client.get(f"/admin/handoff/{row['id']}")
    assert "已在线答复" in closed.text and 'id="reply-form"' not in closed.text
    assert [a for a in audit_actions(client) if a.startswith("handoff")] == [
        "handoff_open", "handoff_phone", "handoff_claim", "handoff_reply", "handoff_close"]


def test_a_kiosk_calls_staff_to_kiosk_3(app_at: Callable[..., Any]) -> None:
    client = app_at()
    offered = chat(client, "转人工", KIOSK, "kiosk", "3")
    assert buttons(offered) == ["呼叫导服", "留言"] and card(offered, "handoff")["kiosk"] is True
    assert "呼叫导服" not in buttons(chat(client, "转人工"))  # not on the portal
    called = chat(client, "/call_staff", KIOSK, "kiosk", "3")
    assert "3号自助终端" in texts(called) and card(called, "handoff_ticket")["kind"] == "call_staff"
    assert "已经通知过" in texts(chat(client, "/call_staff", KIOSK, "kiosk", "3"))
    login(client, "agent")
    (row,) = client.get("/admin/api/handoff/queue").json()["tickets"]
    assert (row["kind_label"], row["where"], row["status"]) == ("呼叫导服", "3号自助终端", "open")
    assert "我去3号自助终端" in client.get(f"/admin/handoff/{row['id']}").text
    assert client.get("/kiosk", params={"id": "3"}).text.count("3号终端") == 1
    assert client.get("/kiosk", params={"id": "<script>"}).status_code == 422


def test_outside_the_halls_hours_the_reply_says_so_and_keeps_the_message(app_at: Callable[..., Any]) -> None:
    client = app_at(FRIDAY_19)
    offered = chat(client, "转人工", KIOSK, "kiosk", "3")
    assert "不在服务时间" in texts(offered) and "11月23日（周一）9:00" in texts(offered)
    assert buttons(offered) == ["留言"] and card(offered, "handoff")["open"] is False
    refused = chat(client, "/call_staff", KIOSK, "kiosk", "3")
    assert "无人值守" in texts(refused) and buttons(refused) == ["留言"]
    ticket = leave_message(client)
    assert ticket["off_hours"] and ticket["opens"] == "11月23日（周一）9:00"
    login(client, "agent")
    (row,) = client.get("/admin/api/handoff/queue").json()["tickets"]  # the refused call left no ticket
    assert row["off_hours"] and row["kind"] == "message"
    assert "不在服务时间" in client.get("/admin/handoff").text


def test_roles_and_csrf(app_at: Callable[..., Any]) -> None:
    client = app_at()
    leave_message(client)
    ticket_id = client.app.state.services.handoff.queue()[0].id
    assert client.get("/admin/handoff", follow_redirects=False).status_code == 303  # to the login page
    assert client.get("/admin/api/handoff/queue").status_code == 401
    for role in ("editor", "reviewer"):
        login(client, role)
        assert client.get("/admin/handoff").status_code == 403
        assert client.get("/admin/api/handoff/queue").status_code == 403
        r = client.post(f"/admin/handoff/{ticket_id}/reply", data={"csrf_token": csrf_of(client), "text": "hi"})
        assert r.status_code == 403
        assert 'href="/admin/handoff"' not in client.get("/admin").text
    login(client, "agent")
    assert client.get("/admin/filings").status_code == 403 and client.get("/admin/knowledge").status_code == 403
    no_token = client.post(f"/admin/handoff/{ticket_id}/close", data={"outcome": "answered"})
    assert no_token.status_code == 403 and "CSRF" in no_token.text
    wrong = client.post(f"/admin/handoff/{ticket_id}/claim", data={"csrf_token": "forged"})
    assert wrong.status_code == 403
    assert client.app.state.services.handoff.get(ticket_id).status == "open"  # nothing changed
    login(client, "admin")
    ok = client.post(f"/admin/handoff/{ticket_id}/claim", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert ok.status_code == 303
    assert client.app.state.services.handoff.get(ticket_id).claimed_by == "admin"


def test_bad_requests_are_answered_in_chinese(app_at: Callable[..., Any]) -> None:
    client = app_at()
    leave_message(client)
    ticket_id = client.app.state.services.handoff.queue()[0].id
    login(client, "agent")
    csrf = csrf_of(client)
    missing = client.get("/admin/handoff/424242")
    assert missing.status_code == 404 and "没有编号为 424242" in missing.text
    empty = client.post(f"/admin/handoff/{ticket_id}/reply", data={"csrf_token": csrf, "text": "  "})
    assert empty.status_code == 422 and "请填写要回复的内容" in empty.text
    outcome = client.post(f"/admin/handoff/{ticket_id}/close", data={"csrf_token": csrf, "outcome": "whatever"})
    assert outcome.status_code == 422 and "请选择处理结果" in outcome.text
    client.post(f"/admin/handoff/{ticket_id}/close", data={"csrf_token": csrf, "outcome": "invalid"})
    late = client.post(f"/admin/handoff/{ticket_id}/reply", data={"csrf_token": csrf, "text": "还在吗"})
    assert late.status_code == 409 and "已结束" in late.text
    assert client.get("/admin/handoff/0").status_code == 422
    for params in ({"sender": "short", "since": 0}, {"sender": PORTAL, "since": -1}):
        r = client.get("/api/chat/updates", params=params)
        assert r.status_code == 422 and r.json()["message"]
    assert updates(client, "n" * 32) == {"entries": [], "cursor": 0, "waiting": False}
    bad_kiosk = client.post("/api/chat", json={"sender": KIOSK, "message": "你好", "face": "kiosk", "kiosk": "3 号"})
    assert bad_kiosk.status_code == 422


def test_tickets_survive_a_restart(app_at: Callable[..., Any]) -> None:
    first = app_at(name="shared")
    ticket = leave_message(first)
    first.app.state.services.handoff.reply(ticket["ticket_id"], "agent", "收到，稍后回电。")
    first.__exit__(None, None, None)  # the app stops
    again = app_at(name="shared")
    (kept,) = again.app.state.services.handoff.queue()
    assert kept.id == ticket["ticket_id"] and kept.callback_phone == PHONE and kept.claimed_by == "agent"
    assert updates(again)["entries"][0]["messages"][0]["custom"]["body"] == "收到，稍后回电。"


def test_a_persons_data_includes_tickets(app_at: Callable[..., Any], capsys: Any) -> None:
    from assistant.cli import main
    from assistant.handoff.tables import tickets

    client = app_at()
    leave_message(client)
    login(client, "admin")
    csrf = csrf_of(client)
    (match,) = client.get("/admin/privacy/conversations", params={"phone": PHONE},
                          headers={"Accept": "application/json"}).json()["matches"]
    assert match["sender_id"] == PORTAL and match["tickets"] == 1
    data = client.get("/admin/privacy/export", params={"sender": PORTAL}).json()
    assert data["handoff"][0]["callback_phone"] == PHONE and data["handoff"][0]["kind"] == "留言"
    deleted = client.post("/admin/privacy/delete", json={"sender": PORTAL}, headers={"X-CSRF-Token": csrf})
    assert deleted.status_code == 200 and deleted.json()["deleted"]["tickets"] == 1
    assert client.app.state.services.handoff.queue() == []

    leave_message(client, "r" * 32)
    db = client.app.state.services.handoff.engine
    with db.begin() as conn:  # a year without any change
        conn.execute(tickets.update().values(updated_at=FRIDAY_10 - dt.timedelta(days=365)))
    data_dir = str(client.app.state.settings.data_dir)
    assert main(["--data-dir", data_dir, "purge", "--days", "180"]) == 0
    assert "and 1 handoff ticket(s)" in capsys.readouterr().out
    assert client.app.state.services.handoff.queue() == []
    assert audit_actions(client)[-1] == "handoff_purge"
    assert re.search(r"人工咨询", client.get("/admin/privacy").text)
