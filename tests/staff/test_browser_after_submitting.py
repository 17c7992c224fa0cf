"""A rejected filing walked to publication in a real browser (headless Chromium + Playwright), both faces:
staff reject it in the console naming the field to fix; the applicant checks the status in the portal chat,
sees the reason once on a red card, clicks 修改后重新提交, gives only the corrected field and confirms; staff
approve and publish the resubmission; the applicant's status then links the notice's page and PDF.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.staff.conftest import browser_login

pytestmark = pytest.mark.browser

expect: Any = None
try:
    from playwright.sync_api import expect as _expect

    expect = _expect
except ImportError:  # pragma: no cover
    pass

COMPANY = "青岛浏览器重提餐饮有限公司"
NEW_USCC = "911522010783762860"  # valid check digit (shared/reference/uscc/valid_uscc.txt)
REASON = "统一社会信用代码与营业执照不一致。"


def bot_turns(page: Any) -> int:
    return int(page.locator("#log .turn.bot").count())


def wait_answer(page: Any, before: int) -> Any:
    expect(page.locator("#log .turn.bot")).to_have_count(before + 1)
    expect(page.locator("#typing")).to_be_hidden()
    return page.locator("#log .turn.bot").nth(before)


def ask(page: Any, text: str) -> Any:
    before = bot_turns(page)
    page.fill("#composer-input", text)
    page.press("#composer-input", "Enter")
    return wait_answer(page, before)


def click(page: Any, locator: Any) -> Any:
    before = bot_turns(page)
    locator.click()
    return wait_answer(page, before)


def test_a_rejected_filing_is_resubmitted_and_published(live_staff: Any, new_page: Any, screenshots: Path) -> None:
    from actions.filings import LostCopy, LostNoticeData

    store = live_staff.services.filings
    original = store.submit_lost_notice(LostNoticeData(
        company_name=COMPANY, uscc="91370211MA3C4X5Y6Z", license_type="食品经营许可证", license_number="JY13702110054322",
        lost_date=dt.date(2025, 6, 1), circumstances="装修时遗失副本", contact_name="王测", contact_phone="13800001111",
        lost_copy=LostCopy.DUPLICATE),  # a filing made by today's form names the copy (正本/副本): only the USCC is asked again
        "browser-resubmit").filing_id

    # Staff reject it in the console, naming the field the applicant must correct.
    staff = new_page(height=1000)
    staff.on("dialog", lambda dialog: dialog.accept())
    browser_login(staff, live_staff.url, "reviewer")
    staff.goto(f"{live_staff.url}/admin/filings/{original}")
    staff.fill("#reason", REASON)
    staff.check("#fix-uscc")
    staff.click("#reject-btn")
    expect(staff.locator("#filing-status")).to_have_text("审核未通过")
    expect(staff.locator("#fix-fields")).to_have_text("统一社会信用代码")

    # The applicant proves the filing is theirs once and sees what to do next.
    chat = new_page(width=390, height=844)
    chat.goto(live_staff.url + "/")
    ask(chat, "查进度")
    ask(chat, original)
    turn = ask(chat, "1111")
    card = turn.locator(".card.receipt")
    expect(card).to_have_class(re.compile(r"\btone-bad\b"))
    expect(card.locator(".card-kicker")).to_contain_text("审核未通过")
    assert turn.inner_text().count(REASON.rstrip("。")) == 1 and "。。" not in turn.inner_text()
    expect(turn).to_contain_text("需要修改：统一社会信用代码")
    assert card.evaluate("e => getComputedStyle(e).borderLeftColor") == "rgb(180, 35, 24)"  # red, not the green of 已提交
    chat.screenshot(path=str(screenshots / "portal-rejected.png"), full_page=True)

    # 修改后重新提交: only the marked field is asked, the rest is filled in; the read-back is confirmed.
    turn = click(chat, turn.locator(".choices .choice", has_text="修改后重新提交"))
    expect(turn).to_contain_text("请重新填写：统一社会信用代码")
    turn = ask(chat, NEW_USCC)
    readback = turn.locator(".card.readback")
    expect(readback).to_contain_text(COMPANY)
    expect(readback).to_contain_text(NEW_USCC)
    expect(readback).to_contain_text("装修时遗失副本")
    turn = click(chat, turn.locator(".readback-actions .choice", has_text="确认提交"))
    expect(turn).to_contain_text("已修改后重新提交")
    resubmitted = turn.locator(".receipt-number").inner_text().strip()
    assert resubmitted != original
    view = store.get(resubmitted)
    assert view.resubmission_of == original and view.data["uscc"] == NEW_USCC and view.data["company_name"] == COMPANY

    # Staff find it in the queue, linked to the rejected filing, approve and publish it.
    staff.goto(f"{live_staff.url}/admin/filings?kind=lost_notice&status=submitted")
    staff.click(f"text={resubmitted}")
    expect(staff.locator("#resubmission-of")).to_have_text(original)
    staff.click("#approve-btn")
    expect(staff.locator("#filing-status")).to_contain_text("审核通过")
    staff.click("#publish-notice-btn")
    expect(staff.locator("#filing-status")).to_contain_text("已刊登")
    number = staff.locator("#notice-link").inner_text()

    # The applicant's status (no id or phone asked again) links the notice's page and PDF.
    turn = ask(chat, "查进度")
    expect(turn).not_to_contain_text("后四位")
    first = turn.locator(".card.receipt").first
    expect(first).to_have_class(re.compile(r"\btone-ok\b"))
    expect(first.locator(".receipt-number")).to_have_text(resubmitted)
    notice = turn.locator(".card.notice")
    expect(notice).to_contain_text(COMPANY)
    page_link = notice.locator("a.link", has_text="查看公告")
    pdf_link = notice.locator("a.link", has_text="下载 PDF")
    expect(page_link).to_have_attribute("href", f"{live_staff.url}/notices/{number}")
    expect(pdf_link).to_have_attribute("href", f"{live_staff.url}/notices/{number}.pdf")
    chat.screenshot(path=str(screenshots / "portal-published-after-resubmission.png"), full_page=True)
    with chat.context.expect_page() as opened:
        page_link.click()
    board = opened.value
    board.wait_for_load_state()
    expect(board.locator("body")).to_contain_text(COMPANY)
    expect(board.locator("body")).to_contain_text(number)
    pdf = httpx.get(f"{live_staff.url}/notices/{number}.pdf", timeout=30)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert [p for p in chat.problems() if "favicon" not in p] == []
    assert [p for p in staff.problems() if "favicon" not in p] == []


def test_a_reviewer_decides_several_items_in_one_form_then_passes_the_rest(live_staff: Any, new_page: Any,
                                                                           screenshots: Path) -> None:
    from actions.filings import ValidationData

    store = live_staff.services.filings
    items = ["医疗机构执业许可证", "放射诊疗许可证", "母婴保健技术服务执业许可证"]
    fid = store.submit_validation(ValidationData(
        institution_name="青岛浏览器康宁诊所", registration_number="PDY12345637021117D2152", items=items,
        license_valid_until=dt.date(2027, 3, 31), contact_name="李康", contact_phone="13912345678"), "browser-mv").filing_id
    page = new_page(height=1000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    browser_login(page, live_staff.url, "reviewer")
    page.goto(f"{live_staff.url}/admin/filings/{fid}")
    rows = page.locator("#validation-items tbody tr")
    rows.nth(0).locator("select").select_option(label="通过")
    rows.nth(1).locator("select").select_option(label="整改中")
    rows.nth(1).locator("input[name=note]").fill("防护门需加装联锁装置")
    page.click("#decide-items-btn")
    expect(page.locator("#filing-status")).to_have_text("整改中")
    assert store.get(fid).items == {items[0]: "passed", items[1]: "rectification", items[2]: "pending"}
    expect(rows.nth(1)).to_contain_text("防护门需加装联锁装置")
    page.screenshot(path=str(screenshots / "admin-validation-items.png"), full_page=True)
    page.click("#pass-all-btn")
    expect(page.locator("#filing-status")).to_have_text("校验通过，已办结")
    assert dialogs and items[1] in dialogs[-1] and items[2] in dialogs[-1]  # the confirm names what passes
    history = page.locator("section.card", has_text="办理记录")
    expect(history).to_contain_text("放射诊疗许可证：整改中")
    shown = history.inner_text().replace("reviewer", "")  # the staff account's name is not a status code
    assert not re.search(r"review|rectification|passed|pending|onsite|applicant", shown), shown
    assert [p for p in page.problems() if "favicon" not in p] == []
