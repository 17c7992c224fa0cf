"""Human help in real browsers (headless Chromium): a 留言 left on a phone is answered by a staff member in the
console and the answer arrives in the applicant's open conversation; 呼叫导服 on hall kiosk 3 appears in the
staff queue without a reload, and the kiosk hears that someone is coming. Screenshots handoff-*.png and
admin-handoff-*.png in var/screenshots/ (`make screenshots`: docs/screenshots/)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from knowledge.clock import ManualClock
from tests.live_server import LiveApp, serve_in_thread
from tests.staff.conftest import PASSWORD, Parts, browser_login, settings_for

pytestmark = pytest.mark.browser

expect: Any = None
try:
    from playwright.sync_api import expect as _expect

    expect = _expect
except ImportError:  # pragma: no cover
    pass

FRIDAY_10 = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 in Qingdao: the hall is open, staff on duty
QUESTION = "营业执照经营范围变更了，食品经营许可证要不要一起变更？"
ANSWER = "需要一起变更。请带营业执照副本和食品经营许可证正副本，到二楼 3 号综合窗口办理，当场办结。"


@pytest.fixture
def hall(tmp_path: Path, parts: Parts) -> Iterator[LiveApp]:
    """A live app whose clock stands on a Friday morning, with an agent (咨询导服) account."""
    from assistant.app import create_app

    app = create_app(settings_for(tmp_path / "hall"), knowledge_factory=parts.knowledge_factory(),
                     clock=ManualClock(FRIDAY_10))
    live = serve_in_thread(app)
    live.services.staff.users.create("agent", PASSWORD, "agent", "导服小王")
    yield live
    live.stop()


def clean(page: Any) -> None:
    problems = page.problems()
    assert problems == [], problems


def bot_turns(page: Any) -> int:
    return int(page.locator("#log .turn.bot").count())


def answer_to(page: Any, action: Any) -> Any:
    """Do `action` (a click or a typed message) and wait for the bot's answer; the new turn."""
    before = bot_turns(page)
    action()
    expect(page.locator("#log .turn.bot")).to_have_count(before + 1)
    expect(page.locator("#typing")).to_be_hidden()
    return page.locator("#log .turn.bot").nth(before)


def typed(page: Any, text: str) -> Any:
    def send() -> None:
        page.fill("#composer-input", text)
        page.press("#composer-input", "Enter")

    return answer_to(page, send)


def test_a_message_answered_by_staff_arrives_in_the_applicants_conversation(hall: LiveApp, new_page: Any,
                                                                             screenshots: Path) -> None:
    phone = new_page(390, 844, is_mobile=True, has_touch=True, device_scale_factor=2)
    phone.goto(hall.url + "/")
    offered = answer_to(phone, lambda: phone.click("#btn-handoff"))
    expect(offered.locator(".handoff .handoff-open")).to_have_text("工作人员在岗")
    expect(offered.locator(".handoff")).not_to_contain_text("0532-0000")  # no placeholder number any more
    asked = answer_to(phone, lambda: offered.locator(".choice", has_text="留言").click())
    expect(asked).to_contain_text("请写下您想咨询的问题")
    expect(typed(phone, QUESTION)).to_contain_text("手机号或座机号")
    expect(typed(phone, "1391234")).to_contain_text("电话号码格式不对")  # checked as every form's phone
    readback = typed(phone, "13912345678")
    expect(readback.locator(".readback")).to_contain_text(QUESTION)
    done = answer_to(phone, lambda: readback.locator(".choice", has_text="确认提交").click())
    ticket = done.locator(".ticket")
    expect(ticket).to_contain_text("留言已受理")
    expect(ticket).to_contain_text("139****5678")

    staff = new_page(1280, 900)
    browser_login(staff, hall.url, "agent")
    expect(staff.locator("#tile-handoff strong")).to_have_text("1")
    staff.click("nav >> text=人工咨询")
    row = staff.locator("#queue tbody tr").first
    expect(row).to_contain_text("营业执照经营范围变更")
    expect(row).to_contain_text("139****5678")
    staff.screenshot(path=str(screenshots / "admin-handoff-queue.png"), full_page=True)
    row.locator("a").click()
    expect(staff.locator("#transcript")).to_contain_text("（点击）留言")
    expect(staff.locator("#transcript")).not_to_contain_text("13912345678")  # the conversation is masked
    staff.click("#claim-btn")
    expect(staff.locator("#ticket-status")).to_have_text("处理中")
    staff.fill("#reply-text", ANSWER)
    staff.screenshot(path=str(screenshots / "admin-handoff-ticket.png"), full_page=True)
    staff.click("#reply-btn")
    expect(staff.locator(".flash.ok")).to_contain_text("回复已发送")

    # The applicant's page, untouched since, shows the answer (it polls while the ticket is open).
    reply = phone.locator("#log .turn.staff .staff-reply:not(.status)")
    expect(reply).to_contain_text(ANSWER, timeout=20_000)
    expect(phone.locator("#log .turn.staff .staff-reply.status").first).to_contain_text("开始处理")
    staff.select_option("#close-outcome", "answered")
    staff.click("#close-btn")
    expect(staff.locator("#ticket-status")).to_have_text("已结束：已在线答复")
    expect(phone.locator("#log .turn.staff").last).to_contain_text("本次人工服务已结束", timeout=20_000)
    phone.locator("#log .turn.staff .staff-reply:not(.status)").scroll_into_view_if_needed()
    phone.screenshot(path=str(screenshots / "handoff-portal.png"))
    # A reload shows the whole conversation again, the staff's answer in its place.
    phone.evaluate("sessionStorage.clear()")
    phone.reload()
    expect(phone.locator("#log .turn.staff .staff-reply:not(.status)")).to_contain_text(ANSWER)
    clean(phone)
    clean(staff)


def test_call_staff_from_kiosk_3_appears_in_the_staff_queue(hall: LiveApp, new_page: Any, screenshots: Path) -> None:
    staff = new_page(1280, 900)
    browser_login(staff, hall.url, "agent")
    staff.goto(hall.url + "/admin/handoff")
    expect(staff.locator("#queue-empty")).to_be_visible()

    kiosk = new_page(1080, 1920, has_touch=True)
    kiosk.goto(hall.url + "/kiosk?id=3")
    expect(kiosk.locator("#kiosk-number")).to_contain_text("3号终端")
    offered = answer_to(kiosk, lambda: kiosk.click("#btn-handoff"))
    call = offered.locator(".choice", has_text="呼叫导服")
    expect(call).to_be_visible()
    called = answer_to(kiosk, lambda: call.click())
    expect(called.locator(".ticket")).to_contain_text("3号自助终端")
    expect(called).to_contain_text("请在这里稍候")

    # The open queue page refreshes by itself: no reload.
    row = staff.locator("#queue tbody tr").first
    expect(row).to_contain_text("3号自助终端", timeout=20_000)
    expect(row).to_contain_text("呼叫导服")
    expect(staff).to_have_title(re.compile(r"^\(1\) 人工咨询"))
    staff.screenshot(path=str(screenshots / "admin-handoff-call.png"), full_page=True)
    row.locator("a").click()
    staff.click("#claim-btn")
    expect(staff.locator("#ticket-status")).to_have_text("处理中")
    expect(kiosk.locator("#log .turn.staff").last).to_contain_text("正在前往3号自助终端", timeout=20_000)
    kiosk.screenshot(path=str(screenshots / "handoff-kiosk.png"))
    clean(kiosk)
    clean(staff)
