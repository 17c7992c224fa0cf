"""The real rasa-webchat 1.0.1 widget (npm, tests/socketio/node_modules) on a portal page of another origin, in
headless Chromium, talking to 灵灵 over the socket.io channel: only its socketUrl points at us.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

pytestmark = pytest.mark.browser

expect: Any = None
try:  # the module still imports without playwright; the browser fixture skips then
    from playwright.sync_api import expect as _expect

    expect = _expect
except ImportError:  # pragma: no cover
    pass

QUESTION = "食品经营许可证丢了怎么补办"


def responses(page: Any) -> Any:
    return page.locator(".rw-messages-container .rw-response")


def page_url(portal: str, app: Any) -> str:
    return f"{portal}/?socketUrl={quote(app.url, safe='')}"


def test_rasa_webchat_answers_and_starts_the_form(sio_live: Any, portal: str, webchat: Any, screenshots: Path) -> None:
    webchat.run(page_url(portal, sio_live), lambda page: answers_and_starts_the_form(page, sio_live, screenshots))


def test_reload_keeps_the_session_and_the_conversation(sio_live: Any, portal: str, webchat: Any) -> None:
    webchat.run(page_url(portal, sio_live), lambda page: reload_keeps_the_session(page, sio_live))


def answers_and_starts_the_form(page: Any, sio_live: Any, screenshots: Path) -> None:
    launcher = page.locator(".rw-launcher")
    expect(launcher).to_be_visible()
    launcher.click()
    # The widget asked for a session and sent its initPayload (/greet): 灵灵 greets.
    expect(responses(page).first).to_contain_text("灵灵", timeout=20_000)
    stored = page.evaluate("window.sessionStorage.getItem('chat_session')")
    session_id = json.loads(stored)["session_id"]
    assert session_id and len(session_id) == 32

    greeted = responses(page).count()
    box = page.locator(".rw-new-message")
    box.fill(QUESTION)
    box.press("Enter")
    expect(page.locator(".rw-messages-container .rw-client").last).to_have_text(QUESTION)
    expect(responses(page)).to_have_count(greeted + 1)
    answer = responses(page).last
    expect(answer).to_contain_text("遗失")
    expect(answer.locator("strong", has_text="办理流程")).to_be_visible()  # the card's guide, as Markdown
    replies = page.locator(".rw-replies .rw-reply")
    start = replies.filter(has_text="开始办理")
    expect(start).to_be_visible()
    assert replies.count() >= 2
    page.locator(".rw-messages-container .rw-client").last.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(screenshots / "rasa-webchat-answer.png"))  # the question and the answer's start

    # A quick reply sends its payload; the widget shows its title and the form's first question follows.
    start.click()
    expect(page.locator(".rw-messages-container .rw-client").last).to_have_text("开始办理")
    expect(responses(page).last).to_contain_text("单位全称")
    expect(responses(page).nth(greeted + 1)).to_contain_text("信息")  # the form's announcement came first
    page.screenshot(path=str(screenshots / "rasa-webchat.png"))

    state = sio_live.dialogue.store.load(session_id)
    assert state is not None and state.active_form == "lost_notice_form"
    assert state.slots.get("license_type") == "食品经营许可证"
    turns = sio_live.dialogue.turns.for_sender(session_id)
    assert [t.channel for t in turns] == ["socketio"] * 3
    assert turns[-1].user_text.startswith("/start_lost_notice")

    # Typing answers the form through the widget as well.
    box.fill("青岛明远餐饮有限公司")
    box.press("Enter")
    expect(responses(page).last).to_contain_text("统一社会信用代码")
    assert page.errors == []


def reload_keeps_the_session(page: Any, sio_live: Any) -> None:
    page.locator(".rw-launcher").click()
    expect(responses(page).first).to_contain_text("灵灵", timeout=20_000)
    box = page.locator(".rw-new-message")
    box.fill("我要登记许可证遗失公告")
    box.press("Enter")
    expect(responses(page).last).to_contain_text("单位全称")
    session_id = json.loads(page.evaluate("window.sessionStorage.getItem('chat_session')"))["session_id"]

    page.reload()  # a new socket; the widget asks for its stored session id again
    expect(responses(page).last).to_contain_text("单位全称", timeout=20_000)  # the widget restored its history
    box = page.locator(".rw-new-message")
    if not box.is_visible():
        page.locator(".rw-launcher").click()
    box.fill("青岛明远餐饮有限公司")
    box.press("Enter")
    expect(responses(page).last).to_contain_text("统一社会信用代码")
    assert json.loads(page.evaluate("window.sessionStorage.getItem('chat_session')"))["session_id"] == session_id
    assert sio_live.dialogue.store.load(session_id).slots["company_name"] == "青岛明远餐饮有限公司"
    assert page.errors == []
