"""The handoff desk: a ticket's whole life (open → claimed → replies → closed with an outcome), what the
applicant is told at each step, what staff may not do, personal data masked and removable, every change audited,
tickets kept across restarts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from assistant.handoff.desk import HandoffDesk, purge_tickets
from assistant.handoff.model import CALL_STAFF, MESSAGE, HandoffError, Line
from knowledge.clock import ManualClock
from tests.handoff.conftest import HALL

SENDER = "handoff-sender-0001"
TRANSCRIPT = [Line("user", "我的手机号是13912345678，身份证370211199001011234", "2026-11-20T01:59:00+00:00"),
              Line("bot", "抱歉，灵灵没太明白。", "2026-11-20T01:59:00+00:00")]


def leave(desk: HandoffDesk, sender: str = SENDER, phone: str = "13912345678") -> Any:
    ticket, created = desk.open(sender, MESSAGE, "web", question="营业执照变更要带什么？我电话13800001111",
                                phone=phone, transcript=TRANSCRIPT)
    assert created
    return ticket


def test_a_message_from_open_to_answered(desk: HandoffDesk, audit: Any, clock: Any) -> None:
    ticket = leave(desk)
    assert (ticket.status, ticket.kind, ticket.off_hours, ticket.where) == ("open", MESSAGE, False, "网站")
    assert ticket.question == "营业执照变更要带什么？我电话138****1111"  # masked at the source
    assert ticket.callback_phone == "13912345678" and ticket.masked_phone == "139****5678"
    assert "13912345678" not in ticket.transcript[0].text and "3702**********1234" in ticket.transcript[0].text
    assert [t.id for t in desk.queue()] == [ticket.id] and desk.waiting(SENDER)
    assert desk.updates(SENDER) == []

    clock.advance(minutes=3)
    claimed = desk.claim(ticket.id, "agent1", "10.0.0.9")
    assert (claimed.status, claimed.claimed_by) == ("claimed", "agent1")
    (status,) = desk.updates(SENDER)
    assert status.kind == "status" and "开始处理" in status.text and not status.closed

    reply = desk.reply(ticket.id, "agent1", "请带营业执照正副本和法定代表人身份证到 3 号窗口。")
    assert desk.updates(SENDER, since=status.id) == [reply]
    wire = reply.to_wire()
    assert wire["text"].startswith("工作人员回复：") and wire["custom"]["type"] == "staff_reply"
    assert wire["recipient_id"] == SENDER and wire["custom"]["body"].startswith("请带营业执照")

    closed = desk.close(ticket.id, "agent1", "answered", note="已答复")
    assert (closed.status, closed.outcome, closed.outcome_label, closed.closed_by) == ("closed", "answered",
                                                                                      "已在线答复", "agent1")
    last = desk.updates(SENDER, since=reply.id)[-1]
    assert last.closed and "本次人工服务已结束" in last.text
    assert not desk.waiting(SENDER) and desk.queue() == [] and desk.closed()[0].id == ticket.id
    assert closed.waiting(clock()) == closed.closed_at - closed.created_at

    assert audit.actions() == ["handoff_open", "handoff_claim", "handoff_reply", "handoff_close"]
    assert {e["target"] for e in audit.entries} == {f"#{ticket.id}"}
    assert audit.entries[0]["actor"] == "applicant" and audit.entries[1]["ip"] == "10.0.0.9"
    assert audit.entries[1]["before"]["status"] == "open" and audit.entries[1]["after"]["status"] == "claimed"
    assert "13912345678" not in str(audit.entries)  # the audit log holds no unmasked number


def test_closing_with_words_for_the_applicant(desk: HandoffDesk) -> None:
    ticket = leave(desk)
    desk.close(ticket.id, "agent2", "called_back", message="已电话联系您，按电话里说的准备材料即可。")
    (closing,) = desk.updates(SENDER)
    assert closing.kind == "reply" and closing.closed and closing.text.startswith("已电话联系您")
    assert desk.get(ticket.id).claimed_by == "agent2"  # closed without claiming: the closer handled it


def test_what_staff_may_not_do(desk: HandoffDesk) -> None:
    ticket = leave(desk)
    with pytest.raises(HandoffError) as empty:
        desk.reply(ticket.id, "agent1", "   ")
    assert empty.value.status == 422
    with pytest.raises(HandoffError) as long:
        desk.reply(ticket.id, "agent1", "长" * 1001)
    assert long.value.status == 422 and "1000" in long.value.message
    with pytest.raises(HandoffError) as outcome:
        desk.close(ticket.id, "agent1", "lost")
    assert outcome.value.status == 422
    desk.close(ticket.id, "agent1", "no_answer")
    for change in (lambda: desk.claim(ticket.id, "agent1"), lambda: desk.reply(ticket.id, "agent1", "晚了"),
                   lambda: desk.close(ticket.id, "agent1", "answered")):
        with pytest.raises(HandoffError) as closed:
            change()
        assert closed.value.status == 409 and "已结束" in closed.value.message
    with pytest.raises(HandoffError) as missing:
        desk.get(999_999)
    assert missing.value.status == 404
    assert [r.kind for r in desk.replies_of(ticket.id)] == ["status"]  # nothing slipped in


def test_a_colleague_takes_over_and_the_audit_log_says_so(desk: HandoffDesk, audit: Any) -> None:
    ticket = leave(desk)
    desk.claim(ticket.id, "agent1")
    desk.claim(ticket.id, "agent1")  # again: nothing changes
    taken = desk.claim(ticket.id, "agent2")
    assert taken.claimed_by == "agent2"
    assert [e["after"]["claimed_by"] for e in audit.entries if e["action"] == "handoff_claim"] == ["agent1", "agent2"]
    assert len(desk.replies_of(ticket.id)) == 1  # the applicant is told once that someone is on it


def test_calling_staff_to_a_kiosk_once(desk: HandoffDesk) -> None:
    first, created = desk.open("kiosk-sender-0001", CALL_STAFF, "kiosk", kiosk_id="3")
    again, created_again = desk.open("kiosk-sender-0001", CALL_STAFF, "kiosk", kiosk_id="3")
    assert created and not created_again and again.id == first.id and first.where == "3号自助终端"
    claimed = desk.claim(first.id, "agent1")
    assert "3号自助终端" in desk.updates("kiosk-sender-0001")[0].text
    desk.close(claimed.id, "agent1", "visited")
    later, created_later = desk.open("kiosk-sender-0001", CALL_STAFF, "kiosk", kiosk_id="3")
    assert created_later and later.id != first.id
    with pytest.raises(HandoffError):
        desk.open(SENDER, "video", "web")


def test_the_queue_puts_waiting_tickets_first(desk: HandoffDesk, clock: Any) -> None:
    a = leave(desk, "sender-a-000000001")
    clock.advance(minutes=1)
    b = leave(desk, "sender-b-000000001")
    clock.advance(minutes=1)
    desk.claim(a.id, "agent1")
    assert [t.id for t in desk.queue()] == [b.id, a.id]
    assert desk.queue()[0].waiting_label(clock()) == "1 分钟"


def test_outside_the_halls_hours_the_ticket_is_kept_and_marked(desk: HandoffDesk, clock: Any) -> None:
    clock.advance(hours=9)  # Friday 19:00
    assert desk.status().open is False and desk.status().opens(clock()) == "11月23日（周一）9:00"
    ticket = leave(desk)
    assert ticket.off_hours and desk.queue() == [desk.get(ticket.id)]


def test_unknown_hours_never_claim_closed(engine: Any, clock: Any) -> None:
    desk = HandoffDesk(engine, clock, hall_hours=lambda: None)
    assert desk.status().open is None
    assert not leave(desk).off_hours


def test_tickets_survive_a_restart(desk: HandoffDesk, engine: Any, clock: Any) -> None:
    ticket = leave(desk)
    desk.reply(ticket.id, "agent1", "收到")
    again = HandoffDesk(engine, clock, hall_hours=lambda: HALL)  # a new process on the same database
    assert again.get(ticket.id) == desk.get(ticket.id)
    assert [r.text for r in again.replies_of(ticket.id)] == ["收到"]  # a reply claims the ticket without a status line
    assert again.get(ticket.id).claimed_by == "agent1"
    assert again.last_reply_id() == desk.last_reply_id() >= 1
    assert [r.id for r in again.replies_after(0)] == [r.id for r in desk.replies_of(ticket.id)]


def test_personal_data_export_find_delete(desk: HandoffDesk) -> None:
    ticket = leave(desk, phone="0532-88889999")
    desk.reply(ticket.id, "agent1", "已收到")
    other = leave(desk, "someone-else-00001")
    (exported,) = desk.export(SENDER)
    assert exported["callback_phone"] == "0532-88889999" and exported["question"].startswith("营业执照变更")
    assert exported["replies"][-1]["text"] == "已收到" and exported["transcript"][1]["role"] == "bot"
    assert desk.senders_with_phone("053288889999") == [SENDER] and desk.senders_with_phone("13912345678") == [
        "someone-else-00001"]
    assert desk.delete_sender(SENDER) == {"tickets": 1, "replies": 1}
    assert desk.for_sender(SENDER) == [] and desk.updates(SENDER) == []
    assert desk.get(other.id).sender_id == "someone-else-00001"


def test_retention_purges_by_last_change(desk: HandoffDesk, engine: Any, clock: Any) -> None:
    old = leave(desk, "sender-old-0000001")
    desk.close(old.id, "agent1", "answered")
    clock.advance(days=100)
    kept = leave(desk, "sender-kept-000001")
    clock.advance(days=100)  # old: changed 200 days ago; kept: 100
    cutoff = clock() - dt.timedelta(days=180)
    assert purge_tickets(engine, cutoff, dry_run=True) == 1
    assert purge_tickets(engine, cutoff) == 1
    assert [t.id for t in desk.queue()] == [kept.id] and desk.closed() == [] and desk.replies_of(old.id) == []
    assert purge_tickets(engine, cutoff) == 0


def test_the_desk_knows_the_holiday_calendar(engine: Any) -> None:
    """National Day (Thursday 2026-10-01) is closed; the make-up Saturday 2026-10-10 (调休) is open."""
    holiday = HandoffDesk(engine, ManualClock(dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC)), hall_hours=lambda: HALL)
    assert holiday.status().open is False and holiday.status().opens(holiday.clock()) == "10月8日（周四）9:00"
    makeup = HandoffDesk(engine, ManualClock(dt.datetime(2026, 10, 10, 2, 0, tzinfo=dt.UTC)), hall_hours=lambda: HALL)
    assert makeup.status().open is True
