"""The staff console in a real browser (headless Chromium + Playwright) against a live app.

Login, editing a FAQ answer and seeing it in chat within 2 s, rollback, the hit test, the inbox flow, and
approving a lost notice until it is on /notices. Every page is checked for script errors and CSP
violations. Screenshots: admin-*.png in var/screenshots/ (`make screenshots`: docs/screenshots/).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
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

ITEM = "license-loss-notice"


def clean(page: Any, expected: tuple[str, ...] = ()) -> None:
    problems = [p for p in page.problems() if not any(e in p for e in expected)]
    assert problems == [], problems


def overview(kb: Any, item_id: str) -> Any:
    return next(f for f in kb.items[item_id].faqs if f.topic.value == "overview")


def webhook(url: str, text: str) -> list[dict[str, Any]]:
    r = httpx.post(url + "/webhooks/rest/webhook", json={"sender": uuid.uuid4().hex, "message": text}, timeout=10)
    r.raise_for_status()
    return r.json()  # type: ignore[no-any-return]


def test_login_and_overview(live_staff: Any, new_page: Any, screenshots: Path) -> None:
    page = new_page()
    page.goto(live_staff.url + "/admin/knowledge")
    expect(page).to_have_url(live_staff.url + "/admin/login?next=%2Fadmin%2Fknowledge")
    page.fill("#username", "editor")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator("#login-message")).to_contain_text("用户名或密码不正确")
    page.screenshot(path=str(screenshots / "admin-login.png"))
    page.fill("#password", "correct-horse-9")
    page.click("button[type=submit]")
    expect(page).to_have_url(live_staff.url + "/admin/knowledge")
    expect(page.locator("#entries tbody tr")).to_have_count(len(live_staff.services.knowledge.current.kb.items))
    page.click("text=概览")
    expect(page.locator(".tiles .tile").first).to_be_visible()
    page.screenshot(path=str(screenshots / "admin-home.png"), full_page=True)
    clean(page, expected=("status of 401",))  # the failed login answers 401


def test_edit_answer_publish_and_chat_sees_it_within_two_seconds(live_staff: Any, new_page: Any, screenshots: Path) -> None:
    kb = live_staff.services.knowledge.current.kb
    faq = overview(kb, ITEM)
    page = new_page()
    browser_login(page, live_staff.url, "editor")
    page.goto(f"{live_staff.url}/admin/knowledge/{ITEM}")
    page.click(f"#faq-table a[href$='/faq/{faq.id.split('/', 1)[1]}']")
    new_answer = "【浏览器测试】遗失公告请在政务网在线填写登记表，审核通过后即刻发布。"
    page.fill("#f-answer", new_answer)
    page.screenshot(path=str(screenshots / "admin-faq-form.png"), full_page=True)
    page.click("#faq-form button[type=submit]")
    expect(page.locator("#publish-box")).to_be_visible()
    page.click("#check-btn")
    # an answer-only edit is checked in full (the answer channel reads answers): nothing changes
    expect(page.locator("#check-status")).to_contain_text("回答全部不变", timeout=60_000)
    page.screenshot(path=str(screenshots / "admin-entry-draft.png"), full_page=True)
    page.click("#publish-btn")
    expect(page.locator(".flash.ok")).to_contain_text("已发布")
    published = time.monotonic()
    answer = webhook(live_staff.url, faq.question)
    assert time.monotonic() - published < 2
    assert answer[0]["text"] == new_answer
    # and in the portal chat, in the browser
    chat = new_page()
    chat.goto(live_staff.url + "/")
    chat.fill("#composer-input", faq.question)
    chat.press("#composer-input", "Enter")
    expect(chat.locator("#log .turn.bot").last).to_contain_text("浏览器测试", timeout=5000)
    clean(page)


def test_regression_check_then_rollback(live_staff: Any, new_page: Any, screenshots: Path) -> None:
    kb = live_staff.services.knowledge.current.kb
    faq = kb.items[ITEM].faqs[2]
    original = faq.answer
    page = new_page(height=1000)
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, live_staff.url, "editor")
    page.goto(f"{live_staff.url}/admin/knowledge/{ITEM}/faq/{faq.id.split('/', 1)[1]}")
    page.fill("#f-variants", "火星移民签证怎么办\n火星签证材料\n去火星要签证吗\n火星签证多久\n火星签证在哪办")
    page.fill("#f-answer", "回滚前的临时答案")
    page.click("#faq-form button[type=submit]")
    page.click("#check-btn")
    expect(page.locator("#check-report table")).to_be_visible(timeout=60_000)
    expect(page.locator("#check-report")).to_contain_text("变差")
    page.screenshot(path=str(screenshots / "admin-regression.png"), full_page=True)
    page.click("#publish-btn")
    expect(page.locator(".flash.ok")).to_contain_text("已发布")
    assert live_staff.services.knowledge.current.kb.faq(faq.id)[1].answer == "回滚前的临时答案"
    page.click("text=历史版本")
    expect(page.locator("#versions tbody tr")).to_have_count(2)
    page.click("text=与上一版比较")
    expect(page.locator("#diff .add").first).to_be_visible()
    page.screenshot(path=str(screenshots / "admin-diff.png"), full_page=True)
    page.go_back()
    page.screenshot(path=str(screenshots / "admin-history.png"), full_page=True)
    page.click("#versions button.rollback")
    expect(page.locator(".flash.ok")).to_contain_text("已回滚")
    expect(page.locator("#versions tbody tr")).to_have_count(3)
    assert live_staff.services.knowledge.current.kb.faq(faq.id)[1].answer == original
    assert live_staff.services.knowledge.current.nlu.parse(faq.question).ranking[0].faq_id == faq.id
    clean(page)


def test_hit_test(live_staff: Any, new_page: Any, screenshots: Path) -> None:
    page = new_page(height=1100)
    browser_login(page, live_staff.url, "editor")
    page.click("text=命中测试")
    page.fill("#hittest-text", "食品经营许可证丢了怎么办")
    page.click("#hittest-go")
    expect(page.locator("#hit-result")).to_be_visible()
    expect(page.locator("#hit-intent")).to_contain_text("ask_service")
    expect(page.locator("#hit-ranking tbody tr").first).to_contain_text(ITEM)
    expect(page.locator("#hit-ranking thead")).to_contain_text("向量 dense")
    expect(page.locator("#hit-entities")).to_contain_text("license_type")
    expect(page.locator("#hit-reply .bubble").first).to_be_visible()
    page.screenshot(path=str(screenshots / "admin-hittest.png"), full_page=True)
    page.fill("#hittest-text", "许可证<img src=x onerror=window.__xss=1>丢了")
    page.click("#hittest-go")
    expect(page.locator("#hit-text")).to_contain_text("<img src=x")
    assert page.evaluate("typeof window.__xss") == "undefined"
    page.select_option("#hittest-focus", "food-business-license")  # as a follow-up in a conversation about it
    page.fill("#hittest-text", "要多久？收费吗？")
    page.click("#hittest-go")
    expect(page.locator("#hit-focus")).to_contain_text("食品经营许可证")
    expect(page.locator("#hit-parts")).to_contain_text("收费吗")
    dm = live_staff.dialogue
    assert not [t for t in dm.turns.needing_review(limit=1000) if t.channel == "hittest"]
    clean(page)


def test_inbox_variant_flow(live_staff: Any, new_page: Any, screenshots: Path) -> None:
    question = "小区门口开个早餐铺子要先办什么证"
    who = uuid.uuid4().hex
    turn = httpx.post(live_staff.url + "/api/chat", json={"sender": who, "message": question}, timeout=10).json()
    httpx.post(live_staff.url + "/api/feedback", json={"sender": who, "turn_id": turn["turn_id"], "rating": -1}, timeout=10)
    unknown = "我家的猫咪今天不肯吃猫粮怎么办"
    for _ in range(2):
        httpx.post(live_staff.url + "/api/chat", json={"sender": uuid.uuid4().hex, "message": unknown}, timeout=10)
    target = "food-business-license/" + live_staff.services.knowledge.current.kb.items["food-business-license"].faqs[0].id.split("/", 1)[1]
    page = new_page(height=1000)
    browser_login(page, live_staff.url, "editor")
    page.click("text=待处理问题")
    card = page.locator("article.cluster", has_text=question)
    expect(card).to_contain_text("用户点踩")
    expect(page.locator("article.cluster", has_text=unknown).locator(".count")).to_have_text("2")
    page.screenshot(path=str(screenshots / "admin-inbox.png"), full_page=True)
    card.locator("input[name=faq_id]").fill(target)
    card.locator("button.add-variant").click()
    expect(page.locator(".flash.ok")).to_contain_text("已加入草稿")
    page.click("#publish-btn")
    expect(page.locator(".flash.ok")).to_contain_text("已发布")
    assert live_staff.services.knowledge.current.nlu.parse(question).ranking[0].faq_id == target
    parsed = httpx.post(live_staff.url + "/model/parse", json={"text": question}, timeout=10).json()
    assert parsed["retrieval"]["ranking"][0]["faq_id"] == target
    page.click("text=待处理问题")
    expect(page.locator("article.cluster", has_text=question)).to_have_count(0)
    clean(page)


def test_reviewer_approves_and_publishes_a_notice(live_staff: Any, new_page: Any, screenshots: Path) -> None:
    from actions.filings import LostNoticeData

    store = live_staff.services.filings
    filing = store.submit_lost_notice(LostNoticeData(
        company_name="青岛浏览器测试餐饮有限公司", uscc="91370211MA3C4X5Y6Z", license_type="食品经营许可证",
        license_number="JY13702110054321", lost_date=dt.date(2025, 6, 1), circumstances="装修时遗失副本",
        contact_name="王测", contact_phone="13800001111"), "browser-key")
    page = new_page(height=1000)
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, live_staff.url, "reviewer")
    page.click("text=办件审核")
    page.click(f"text={filing.filing_id}")
    page.screenshot(path=str(screenshots / "admin-filing.png"), full_page=True)
    page.click("#approve-btn")
    expect(page.locator("#filing-status")).to_contain_text("审核通过")
    page.click("#publish-notice-btn")
    expect(page.locator("#filing-status")).to_contain_text("已刊登")
    number = page.locator("#notice-link").inner_text()
    page.goto(live_staff.url + "/notices")
    expect(page.locator("body")).to_contain_text("青岛浏览器测试餐饮有限公司")
    expect(page.locator("body")).to_contain_text(number)
    kb = live_staff.services.knowledge.current.kb
    for text in (overview(kb, ITEM).question, overview(kb, "food-business-license").question, "帮我订一张去北京的机票"):
        who = uuid.uuid4().hex
        turn = httpx.post(live_staff.url + "/api/chat", json={"sender": who, "message": text}, timeout=10).json()
        httpx.post(live_staff.url + "/api/feedback", json={"sender": who, "turn_id": turn["turn_id"], "rating": 1}, timeout=10)
    page.goto(live_staff.url + "/admin/analytics")
    expect(page.locator("#kpis")).to_contain_text("67%")
    expect(page.locator("#kpis")).to_be_visible()
    page.screenshot(path=str(screenshots / "admin-analytics.png"), full_page=True)
    # a reviewer has no knowledge pages
    assert page.goto(live_staff.url + "/admin/knowledge").status == 403
    # expected: that 403, and /favicon.ico of the notice board (its template declares no icon)
    clean(page, expected=("status of 403", "status of 404"))
