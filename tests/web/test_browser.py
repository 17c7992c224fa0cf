"""The faces applicants see, in a real browser (headless Chromium + Playwright) against a live app.

Portal chat, widget, hall kiosk: answer cards, a whole lost-notice filing by buttons and typing, the
multi-select, feedback, reload and clearing, the kiosk's idle wipe, XSS (typed and in the knowledge base),
the CSP. Screenshots go to var/screenshots/ (`make screenshots`: docs/screenshots/, the README's pictures).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser

expect: Any = None
try:  # the module still imports without playwright; the `browser` fixture skips then
    from playwright.sync_api import expect as _expect

    expect = _expect
except ImportError:  # pragma: no cover
    pass

VALID_USCC = "911522010783762860"  # from tests/reference/uscc/valid_uscc.txt
XSS_IMG = "<img src=x onerror=window.__xss=1>"
XSS_SCRIPT = "<script>window.__xss=1</script>"


# ---------------------------------------------------------------------------------------------- helpers


def bot_turns(page: Any) -> int:
    return int(page.locator("#log .turn.bot").count())


def ask(page: Any, text: str) -> Any:
    """Type a message, send it with Enter, wait for the answer; the new bot turn's locator."""
    before = bot_turns(page)
    page.fill("#composer-input", text)
    page.press("#composer-input", "Enter")
    return wait_answer(page, before)


def wait_answer(page: Any, before: int) -> Any:
    expect(page.locator("#log .turn.bot")).to_have_count(before + 1)
    expect(page.locator("#typing")).to_be_hidden()
    return page.locator("#log .turn.bot").nth(before)  # fixed: not `.last`, which moves on


def click_and_wait(page: Any, locator: Any) -> Any:
    before = bot_turns(page)
    locator.click()
    return wait_answer(page, before)


def sender_of(page: Any, key: str = "lingling.sender", storage: str = "localStorage") -> str:
    return str(page.evaluate(f"window.{storage}.getItem('{key}')"))


def assert_clean(page: Any) -> None:
    """No script errors, no CSP violations, no XSS."""
    assert page.problems() == []
    assert page.evaluate("typeof window.__xss") == "undefined"


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1"))


# ---------------------------------------------------------------------------------------------- portal


def test_portal_question_shows_an_answer_card(live: Any, new_page: Any, screenshots: Path) -> None:
    page = new_page(live.url + "/")
    response = page.context.request.get(live.url + "/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    expect(page.locator("#welcome")).to_be_visible()
    chips = page.locator("#suggestions .chip")
    assert chips.count() == 6
    expect(chips.first).to_contain_text("遗失")

    turn = ask(page, "在西海岸新区开公司、办营业执照怎么办理？")
    card = turn.locator(".answer-card")
    expect(card).to_be_visible()
    expect(card.locator(".card-title")).to_have_text("在西海岸新区开公司、办营业执照怎么办理？")
    expect(card.locator(".card-answer")).to_be_visible()
    # The answer first; the guide folded behind one tap (a <details>, so the keyboard opens it too).
    details = card.locator("details.card-details")
    summary = details.locator("summary.card-summary")
    expect(summary).to_contain_text("查看办事指南")
    expect(summary).to_contain_text("材料")
    assert details.get_attribute("open") is None
    expect(card.locator(".checklist")).to_be_hidden()
    page.screenshot(path=str(screenshots / "portal-card-folded.png"))
    summary.focus()
    page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")
    expect(card.locator(".checklist .check-item").first).to_be_visible()
    assert card.locator(".checklist input[type=checkbox]").count() >= 5
    expect(card.locator(".facts")).to_contain_text("办理时限")
    # Facts still marked `example` (its steps, place, phone ...) are not shown as true: "正在核实", ask the hall or 12345.
    expect(card.locator(".fact.pending", has_text="办理流程")).to_contain_text("正在核实")
    expect(card.locator(".fact.pending", has_text="咨询电话")).to_contain_text("正在核实")
    expect(card.locator(".card-pending")).to_contain_text("12345")
    assert card.locator(".steps li").count() == 0
    expect(card).not_to_contain_text("0532-0000")
    expect(card.locator("a.link", has_text="打印材料清单")).to_have_attribute(
        "href", live.url + "/print/materials?faq_id=business-startup%2Foverview")
    expect(page.locator("#welcome")).to_be_hidden()
    # Ticking a material off works (a checklist, not just a list).
    first = card.locator(".checklist input").first
    first.check()
    expect(first).to_be_checked()
    # Related questions are buttons; a click shows the title and asks it.
    related = turn.locator(".choices .choice").first
    title = related.inner_text()
    click_and_wait(page, related)
    expect(page.locator("#log .msg.user .bubble").last).to_have_text(title)
    page.evaluate("document.getElementById('chat-scroll').scrollTop = 0")
    first.uncheck()
    page.screenshot(path=str(screenshots / "portal-desktop.png"))
    assert_clean(page)


def test_portal_on_a_phone(live: Any, new_page: Any, screenshots: Path) -> None:
    page = new_page(live.url + "/", width=390, height=844, is_mobile=True, has_touch=True, device_scale_factor=2)
    assert no_horizontal_scroll(page)
    expect(page.locator("#btn-handoff")).to_be_visible()
    expect(page.locator("#btn-clear")).to_be_visible()
    turn = ask(page, "行政许可证丢了怎么补办")
    expect(turn.locator(".answer-card, .bubble").first).to_be_visible()
    assert no_horizontal_scroll(page)
    box = page.locator("#composer-input").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844
    page.screenshot(path=str(screenshots / "portal-phone.png"))
    page.set_viewport_size({"width": 375, "height": 667})
    assert no_horizontal_scroll(page)
    assert_clean(page)


LOST_NOTICE_ANSWERS = {
    "company_name": "青岛海之味餐饮管理有限公司",
    "uscc": VALID_USCC,
    "license_number": "JY23702110012345",
    "lost_copy": "正本",
    "lost_date": "2025-06-01",
    "circumstances": "搬迁时遗失",
    "contact_name": "张三",
    "contact_phone": "13800138000",
}


def fill_lost_notice(page: Any, live: Any, answers: dict[str, str]) -> list[str]:
    """Answer every question of the lost-notice form (typing, or a button for the license type)."""
    sender = sender_of(page)
    asked: list[str] = []
    for _ in range(12):
        if page.locator("#log .turn.bot").last.locator(".readback").count():
            return asked
        state = live.dialogue.store.load(sender)
        slot = state.slots.get("requested_slot")
        assert slot, f"no question asked; form {state.active_form}"
        asked.append(slot)
        if slot == "license_type":  # a button per license type
            click_and_wait(page, page.locator("#log .turn.bot").last.locator(".choice", has_text="食品经营许可证").first)
        elif slot == "lost_copy":  # 正本 / 副本 / 正副本都遗失了
            buttons = page.locator("#log .turn.bot").last.locator(".choice")
            expect(buttons).to_have_text(["正本", "副本", "正副本都遗失了"])
            click_and_wait(page, buttons.get_by_text(answers[slot], exact=True))
        else:
            ask(page, answers[slot])
    raise AssertionError(f"no read-back after {asked}")


def test_lost_notice_filing_by_buttons_and_typing(live: Any, new_page: Any) -> None:
    page = new_page(live.url + "/")
    turn = ask(page, "食品经营许可证丢了怎么补办")
    start = turn.locator(".choice", has_text="开始办理")
    expect(start).to_be_visible()
    click_and_wait(page, start)
    asked = fill_lost_notice(page, live, LOST_NOTICE_ANSWERS)
    assert "company_name" in asked and "contact_phone" in asked
    last = page.locator("#log .turn.bot").nth(bot_turns(page) - 1)
    readback = last.locator(".readback")
    expect(readback).to_be_visible()
    expect(readback).to_contain_text("青岛海之味餐饮管理有限公司")
    expect(readback).to_contain_text(VALID_USCC)
    expect(readback).to_contain_text("食品经营许可证")
    for title in ("确认提交", "修改", "取消"):
        expect(last.locator(".readback-actions .choice", has_text=title)).to_be_visible()
    receipt_turn = click_and_wait(page, last.locator(".readback-actions .choice", has_text="确认提交"))
    expect(last.locator(".readback-actions .choice").first).to_be_disabled()
    receipt = receipt_turn.locator(".receipt")
    expect(receipt).to_be_visible()
    number = receipt.locator(".receipt-number").inner_text().strip()
    assert number
    filing = live.services.filings.get(number)
    assert filing is not None
    assert filing.kind == "lost_notice" and filing.data["lost_copy"] == "正本"
    assert_clean(page)


def test_multi_select_sends_the_chosen_values(live: Any, new_page: Any) -> None:
    page = new_page(live.url + "/")
    ask(page, "我要申请医疗机构校验")
    sender = sender_of(page)
    answers = {
        "institution_name": "青岛西海岸新区康宁诊所",
        "registration_number": "PDY00001937021117A1002",
        "license_valid_until": "2026-12-31",
        "contact_name": "李四",
        "contact_phone": "13900139000",
    }
    for _ in range(8):
        slot = live.dialogue.store.load(sender).slots.get("requested_slot")
        if slot == "validation_items" or not slot:
            break
        ask(page, answers[slot])
    form = page.locator("#log .turn.bot").nth(bot_turns(page) - 1).locator("form.multi-select")
    expect(form).to_be_visible()
    boxes = form.locator("input[type=checkbox]")
    assert boxes.count() >= 2
    ok = form.locator("button", has_text="确定")
    expect(ok).to_be_disabled()  # min 1
    labels = [form.locator("label").nth(i).inner_text() for i in (0, 1)]
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(ok).to_be_enabled()
    click_and_wait(page, ok)
    expect(page.locator("#log .msg.user .bubble").last).to_have_text("、".join(labels))
    expect(boxes.nth(0)).to_be_disabled()
    turns = live.dialogue.export(sender)["turns"]
    sent = turns[-1]["user_text"]
    assert sent.startswith("/inform")
    assert json.loads(sent.removeprefix("/inform")) == {"validation_item": labels}  # the entity a Rasa domain declares
    assert live.dialogue.store.load(sender).slots.get("validation_items") == labels
    assert_clean(page)


def test_thumbs_down_is_stored_and_marked(live: Any, new_page: Any) -> None:
    page = new_page(live.url + "/")
    turn = ask(page, "遗失公告需要什么材料")
    turn_id = turn.get_attribute("data-turn-id")
    down = turn.locator(".feedback .fb-down")
    expect(down).to_have_attribute("aria-pressed", "false")
    down.click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(turn.locator(".feedback")).to_have_class(re.compile(r"\brated\b"))
    expect(turn.locator(".feedback-status")).to_contain_text("感谢")
    sender = sender_of(page)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        turns = live.dialogue.export(sender)["turns"]
        if turns and turns[-1]["feedback"] == -1:
            break
        time.sleep(0.05)
    assert [t["feedback"] for t in live.dialogue.export(sender)["turns"] if t["turn_id"] == turn_id] == [-1]
    assert turn_id in {t.turn_id for t in live.dialogue.turns.needing_review()}
    # The mark survives a reload.
    page.reload()
    expect(page.locator(f'#log .turn[data-turn-id="{turn_id}"] .fb-down')).to_have_attribute("aria-pressed", "true")
    assert_clean(page)


def test_conversation_survives_reload_and_can_be_cleared(live: Any, new_page: Any) -> None:
    page = new_page(live.url + "/")
    ask(page, "政务服务中心几点上班")
    sender = sender_of(page)
    assert len(sender) == 32
    page.reload()
    expect(page.locator("#log .msg.user .bubble")).to_have_text(["政务服务中心几点上班"])
    assert bot_turns(page) == 1
    assert sender_of(page) == sender
    expect(page.locator("#welcome")).to_be_hidden()
    # A new tab has no sessionStorage: the conversation comes from the server.
    other = page.context.new_page()
    other.goto(live.url + "/")
    expect(other.locator("#log .msg.user .bubble")).to_have_text(["政务服务中心几点上班"])
    other.close()
    # 清空对话 asks once more on the button itself, then wipes here and on the server.
    page.click("#btn-clear")
    expect(page.locator("#btn-clear")).to_contain_text("确认清空")
    page.click("#btn-clear")
    expect(page.locator("#log > *")).to_have_count(0)
    expect(page.locator("#welcome")).to_be_visible()
    new_sender = sender_of(page)
    assert new_sender != sender and len(new_sender) == 32
    deadline = time.monotonic() + 5
    while live.dialogue.export(sender)["turns"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.dialogue.export(sender) == {"sender_id": sender, "state": None, "turns": []}
    page.reload()
    expect(page.locator("#log > *")).to_have_count(0)
    assert_clean(page)


def test_handoff_typing_indicator_and_size_limit(live: Any, new_page: Any) -> None:
    page = new_page(live.url + "/")
    held: list[Any] = []  # the request waits here until the busy state has been seen (no race with the server)
    page.route("**/api/chat", lambda route: held.append(route))
    before = bot_turns(page)
    page.click("#btn-handoff")
    expect(page.locator("#typing")).to_be_visible()
    expect(page.locator("#btn-send")).to_be_disabled()
    while not held:
        page.wait_for_timeout(20)
    held[0].continue_()
    turn = wait_answer(page, before)
    page.unroute("**/api/chat")
    expect(page.locator("#log .msg.user .bubble").last).to_have_text("转人工")
    expect(turn.locator(".handoff")).to_be_visible()
    expect(turn.locator(".handoff a[href='tel:12345']")).to_be_visible()  # the public hotline, no placeholder
    expect(turn.locator(".choice", has_text="留言")).to_be_visible()
    expect(turn.locator(".choice", has_text="呼叫导服")).to_have_count(0)  # only at a hall kiosk
    # Over the size limit: a friendly refusal, nothing sent.
    turns = bot_turns(page)
    page.fill("#composer-input", "很" * 2001)
    page.press("#composer-input", "Enter")
    expect(page.locator("#log .bubble.notice").last).to_contain_text("消息太长了")
    assert bot_turns(page) == turns
    assert len(page.input_value("#composer-input")) == 2001  # kept, to be shortened
    assert_clean(page)


def test_typed_xss_stays_text(live: Any, new_page: Any) -> None:
    page = new_page(live.url + "/")
    for payload in (XSS_IMG, XSS_SCRIPT, '"><svg onload=window.__xss=1>'):
        ask(page, payload)
        expect(page.locator("#log .msg.user .bubble").last).to_have_text(payload)
    # A hostile company name goes through a whole form and comes back in the read-back card.
    ask(page, "我要登记遗失公告")
    hostile = XSS_IMG + "搬迁时遗失了正本" + XSS_SCRIPT
    fill_lost_notice(page, live, {**LOST_NOTICE_ANSWERS, "circumstances": hostile})
    readback = page.locator("#log .turn.bot").last.locator(".readback")
    expect(readback.locator(".fact", has_text="遗失情况").locator("dd")).to_have_text(hostile)
    click_and_wait(page, page.locator("#log .turn.bot").last.locator(".choice", has_text="取消"))
    assert page.locator("#log img[src='x']").count() == 0
    assert page.locator("#log script").count() == 0
    page.wait_for_timeout(300)
    assert_clean(page)


def test_pages_use_no_inline_code_and_keyboard_works(live: Any, new_page: Any) -> None:
    page = new_page(live.url + "/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#composer-input")).to_be_focused()
    page.keyboard.type("你好")
    before = bot_turns(page)
    page.keyboard.press("Enter")
    wait_answer(page, before)
    assert page.locator("#log").get_attribute("aria-live") == "polite"
    assert page.evaluate("document.querySelectorAll('[onclick],[onload],[onerror],[onfocus],[onmouseover]').length") == 0
    assert page.evaluate("[...document.scripts].every(s => s.src && !s.textContent.trim())")
    assert_clean(page)


# ---------------------------------------------------------------------------------------------- widget


@pytest.fixture
def portal_page(live: Any) -> Iterator[str]:
    """A plain portal page on another origin (another port) that includes widget.js."""
    html = (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>西海岸新区政务网</title></head>"
        "<body><h1>西海岸新区政务网</h1><p>门户页面</p>"
        f"<script src='{live.url}/widget.js' data-lingling-url='{live.url}'></script></body></html>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_widget_on_a_plain_page_opens_the_chat(live: Any, new_page: Any, portal_page: str) -> None:
    page = new_page(portal_page)
    button = page.locator("#lingling-widget-button")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#lingling-widget-panel")).to_be_visible()
    frame = page.frame_locator("#lingling-widget-panel iframe")
    expect(frame.locator("#welcome")).to_be_visible()
    frame.locator("#composer-input").fill("食品经营许可证怎么办理")
    frame.locator("#composer-input").press("Enter")
    expect(frame.locator("#log .answer-card")).to_be_visible()
    embedded = next(f for f in page.frames if f.url.startswith(live.url))
    assert embedded.url == f"{live.url}/?embed=1"
    frame.locator("#btn-close").click()
    expect(page.locator("#lingling-widget-panel")).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    assert_clean(page)


# ---------------------------------------------------------------------------------------------- kiosk


KIOSK_STYLE_CHECK = """
() => {
  const out = {small: [], tight: [], tiny: []};
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || el.closest('.visually-hidden')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const s = getComputedStyle(el);
    if (own && parseFloat(s.fontSize) < MIN_FONT) out.small.push(el.tagName + '.' + el.className + ' ' + s.fontSize);
    if (own && s.lineHeight !== 'normal' && parseFloat(s.lineHeight) / parseFloat(s.fontSize) < 1.3)
      out.tight.push(el.tagName + '.' + el.className + ' ' + s.lineHeight);
  }
  for (const el of document.querySelectorAll('button, a, input, textarea, label.tap')) {
    if (!visible(el) || el.closest('.visually-hidden')) continue;
    const r = el.getBoundingClientRect();
    const target = el.matches('input[type=checkbox]') ? el.closest('li, .option') || el : el;
    const t = target.getBoundingClientRect();
    if (Math.min(t.width, t.height) < 48)
      out.tiny.push(`${el.tagName}#${el.id}.${el.className} ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  return out;
}
"""


def kiosk_style(page: Any, min_font: int) -> dict[str, list[str]]:
    result: dict[str, list[str]] = page.evaluate(KIOSK_STYLE_CHECK.replace("MIN_FONT", str(min_font)))
    return result


def test_kiosk_is_touch_first_and_elderly_friendly(live: Any, new_page: Any, screenshots: Path) -> None:
    page = new_page(live.url + "/kiosk", width=1080, height=1920, has_touch=True)
    page.on("dialog", lambda d: pytest.fail(f"the kiosk opened a pop-up: {d.type} {d.message}"))
    tiles = page.locator(".tiles .tile")
    assert tiles.count() == 8
    expect(tiles.first).to_contain_text("行政许可证遗失电子化公告")
    expect(page.locator("#btn-restart")).to_be_visible()
    expect(page.locator("#btn-elder")).to_be_visible()
    expect(page.locator("#qr")).to_have_attribute("src", f"/api/qr?sender={sender_of(page, 'lingling.kiosk.sender', 'sessionStorage')}")
    assert page.evaluate("document.getElementById('qr').naturalWidth") > 0
    # 朗读 is offered exactly when the browser can speak.
    can_speak = page.evaluate("'speechSynthesis' in window && 'SpeechSynthesisUtterance' in window")
    assert page.locator("#btn-speak").is_visible() == can_speak
    assert kiosk_style(page, 24) == {"small": [], "tight": [], "tiny": []}
    page.screenshot(path=str(screenshots / "kiosk.png"))

    before = bot_turns(page)
    expect(tiles.nth(7).locator(".tile-name")).to_have_text("企业开办")
    tiles.nth(7).click()  # 企业开办: its materials are real (not `example`): printable
    turn = wait_answer(page, before)
    expect(turn.locator(".answer-card")).to_be_visible()
    expect(page.locator("#btn-print")).to_be_enabled()
    turn.locator("summary.card-summary").click()  # the guide, folded behind one tap
    expect(turn.locator(".checklist")).to_be_visible()
    style = kiosk_style(page, 24)
    assert style == {"small": [], "tight": [], "tiny": []}, style
    # External links are shown, not followed (a kiosk never leaves its page).
    assert turn.locator("a[href^='http']").count() == 0

    page.click("#btn-elder")
    expect(page.locator("#btn-elder")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('.card-answer')).fontSize)") >= 32
    style = kiosk_style(page, 32)
    assert style["small"] == [] and style["tiny"] == [], style
    page.evaluate("document.getElementById('k-scroll').scrollTop = 0")
    page.screenshot(path=str(screenshots / "kiosk-elderly.png"))
    # Printing in 长辈模式: the sheet in large type, and a confirmation on screen.
    page.click("#btn-print")
    expect(page.locator("#viewer")).to_be_visible()
    frame = page.frame_locator("#viewer-frame")
    expect(frame.locator("body.print-page.large")).to_have_count(1)
    assert "large=1" in (page.locator("#viewer-frame").get_attribute("src") or "")
    page.click("#viewer-print")
    expect(page.locator("#k-notice")).to_be_visible()
    expect(page.locator("#k-notice")).to_contain_text("已发送打印")
    page.screenshot(path=str(screenshots / "kiosk-print-confirmed.png"))
    page.click("#k-notice-close")
    expect(page.locator("#k-notice")).to_be_hidden()
    page.click("#viewer-close")
    page.click("#btn-elder")
    expect(page.locator("#btn-elder")).to_have_attribute("aria-pressed", "false")

    # Print view of the materials of the last answer card, inside the page (no pop-up window).
    page.click("#btn-print")
    expect(page.locator("#viewer")).to_be_visible()
    viewer = page.frame_locator("#viewer-frame")
    expect(viewer.locator("table.materials tbody tr").first).to_be_visible()
    expect(viewer.locator("h1")).to_contain_text("材料清单")
    page.click("#viewer-close")
    expect(page.locator("#viewer")).to_be_hidden()
    assert len(page.context.pages) == 1
    assert_clean(page)


def test_kiosk_print_view_is_a_printable_page(live: Any, new_page: Any) -> None:
    page = new_page(live.url + "/print/materials?faq_id=business-startup/overview")
    expect(page.locator("h1")).to_contain_text("企业开办")
    assert page.locator("table.materials tbody tr").count() >= 4
    expect(page.locator(".sheet-facts .pending")).to_contain_text("12345")  # facts marked example: being confirmed
    expect(page.locator("body")).not_to_contain_text("0532-0000")
    page.emulate_media(media="print")
    expect(page.locator(".sheet-actions")).to_be_hidden()
    assert_clean(page)


def test_kiosk_idle_wipe_leaves_nothing(serve: Any, new_page: Any) -> None:
    app = serve(kiosk_idle_seconds=5)  # 10 s in 长辈模式
    page = new_page(app.url + "/kiosk", width=1280, height=1024, has_touch=True)
    assert page.locator("body").get_attribute("data-idle-seconds") == "5"
    old = sender_of(page, "lingling.kiosk.sender", "sessionStorage")
    ask(page, "我要登记遗失公告")
    ask(page, "青岛海之味餐饮管理有限公司")
    page.fill("#composer-input", VALID_USCC)  # typed, not sent
    page.click("#btn-elder")
    assert app.dialogue.export(old)["turns"]
    # The countdown shows (the idle time is shorter than 15 s: the whole period) ...
    expect(page.locator("#idle")).to_be_visible()
    expect(page.locator("#idle-text")).to_contain_text("秒后将自动清空")
    # ... and at its end everything is gone.
    expect(page.locator("#log > *")).to_have_count(0, timeout=15_000)
    expect(page.locator("#composer-input")).to_have_value("")
    expect(page.locator("#idle")).to_be_hidden()
    expect(page.locator("#welcome")).to_be_visible()
    expect(page.locator("#btn-elder")).to_have_attribute("aria-pressed", "false")
    text = page.locator("body").inner_text()
    for gone in ("青岛海之味", "我要登记遗失公告", VALID_USCC, "统一社会信用代码"):
        assert gone not in text
    assert page.evaluate("document.querySelectorAll('input, textarea').length") == page.evaluate(
        "[...document.querySelectorAll('input, textarea')].filter(f => !f.value && !f.checked).length")
    new = sender_of(page, "lingling.kiosk.sender", "sessionStorage")
    assert new != old and len(new) == 32
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k !== 'lingling.kiosk.sender').length") == 0
    expect(page.locator("#qr")).to_have_attribute("src", f"/api/qr?sender={new}")
    deadline = time.monotonic() + 5
    while app.dialogue.export(old)["turns"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app.dialogue.export(old) == {"sender_id": old, "state": None, "turns": []}
    assert httpx.get(f"{app.url}/api/history", params={"sender": old}).json()["entries"] == []
    # A fresh screen shows no countdown: nothing to protect.
    page.wait_for_timeout(1500)
    expect(page.locator("#idle")).to_be_hidden()
    assert_clean(page)


def test_kiosk_wipe_is_postponed_by_scrolling_and_the_warning_dismissed(serve: Any, new_page: Any,
                                                                       screenshots: Path) -> None:
    app = serve(kiosk_idle_seconds=5)  # 10 s in 长辈模式
    page = new_page(app.url + "/kiosk", width=1080, height=1920, has_touch=True)
    page.click("#btn-elder")
    turn = ask(page, "在西海岸新区开公司、办营业执照怎么办理？")
    turn.locator("summary.card-summary").click()  # a long card to read, in large type
    sender = sender_of(page, "lingling.kiosk.sender", "sessionStorage")
    assert page.evaluate("(e => e.scrollHeight > e.clientHeight + 200)(document.getElementById('k-scroll'))")
    # Reading: scrolling the conversation (no tap, no key) for more than two idle periods keeps it on screen.
    for step in range(22):
        page.evaluate("(e => { e.scrollTop = e.scrollTop > 100 ? 0 : 400; })(document.getElementById('k-scroll'))")
        page.wait_for_timeout(1000)
        assert page.locator("#log > *").count() > 0, f"wiped while scrolling (after {step + 1} s)"
    assert sender_of(page, "lingling.kiosk.sender", "sessionStorage") == sender
    # The 15-second warning (here the whole period) can be dismissed: the conversation stays.
    expect(page.locator("#idle")).to_be_visible(timeout=11_000)
    page.screenshot(path=str(screenshots / "kiosk-idle-warning.png"))
    page.click("#idle-continue")
    expect(page.locator("#idle")).to_be_hidden()
    assert page.locator("#log > *").count() > 0
    # Left alone, it is wiped.
    expect(page.locator("#log > *")).to_have_count(0, timeout=25_000)
    assert sender_of(page, "lingling.kiosk.sender", "sessionStorage") != sender
    assert_clean(page)


def test_kiosk_restart_asks_once(live: Any, new_page: Any) -> None:
    page = new_page(live.url + "/kiosk", width=1080, height=1920)
    old = sender_of(page, "lingling.kiosk.sender", "sessionStorage")
    ask(page, "你好")
    page.click("#btn-restart")
    confirm = page.locator("#restart-confirm")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("确定要清空本次对话")
    assert page.locator("#log > *").count() > 0  # asked, not wiped
    page.click("#restart-no")
    expect(confirm).to_be_hidden()
    assert page.locator("#log > *").count() > 0 and sender_of(page, "lingling.kiosk.sender", "sessionStorage") == old
    page.click("#btn-restart")
    page.click("#restart-yes")
    expect(page.locator("#log > *")).to_have_count(0)
    expect(confirm).to_be_hidden()
    expect(page.locator("#k-notice")).to_contain_text("已清空")
    assert sender_of(page, "lingling.kiosk.sender", "sessionStorage") != old
    deadline = time.monotonic() + 5
    while live.dialogue.export(old)["turns"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.dialogue.export(old)["turns"] == []
    # A fresh screen has nothing to lose: 重新开始 does not ask.
    fresh = sender_of(page, "lingling.kiosk.sender", "sessionStorage")
    page.click("#btn-restart")
    expect(confirm).to_be_hidden()
    assert sender_of(page, "lingling.kiosk.sender", "sessionStorage") != fresh
    assert_clean(page)


def test_kiosk_clears_itself_after_the_hand_over_to_a_phone(live: Any, new_page: Any, screenshots: Path) -> None:
    kiosk = new_page(live.url + "/kiosk", width=1080, height=1920)
    ask(kiosk, "食品经营许可证怎么办理")
    sender = sender_of(kiosk, "lingling.kiosk.sender", "sessionStorage")
    phone = new_page(f"{live.url}/?sender={sender}", width=390, height=844, is_mobile=True, has_touch=True)
    expect(phone.locator("#log .msg.user .bubble")).to_have_text(["食品经营许可证怎么办理"])
    expect(phone.locator("#log .answer-card")).to_be_visible()
    assert "sender=" not in phone.url  # the token leaves the address bar
    assert sender_of(phone) == sender
    # The kiosk clears itself within seconds, says why, and gets a new sender (a new QR code).
    expect(kiosk.locator("#log > *")).to_have_count(0, timeout=10_000)
    expect(kiosk.locator("#k-notice")).to_be_visible()
    expect(kiosk.locator("#k-notice")).to_contain_text("转到您的手机")
    expect(kiosk.locator("#welcome")).to_be_visible()
    assert "食品经营许可证怎么办理" not in kiosk.locator("#log").inner_text()
    new = sender_of(kiosk, "lingling.kiosk.sender", "sessionStorage")
    assert new != sender
    expect(kiosk.locator("#qr")).to_have_attribute("src", f"/api/qr?sender={new}")
    kiosk.screenshot(path=str(screenshots / "kiosk-handed-over.png"))
    # The conversation is the phone's now: it goes on, and a kiosk wipe of it leaves it alone.
    ask(phone, "需要带什么材料")
    assert len(live.dialogue.export(sender)["turns"]) == 2
    r = httpx.post(f"{live.url}/api/reset", json={"sender": sender, "face": "kiosk"})
    assert r.status_code == 200, r.text
    assert r.json()["kept"] == "continued_on_phone"
    assert len(live.dialogue.export(sender)["turns"]) == 2
    assert_clean(kiosk)
    assert_clean(phone)


# ---------------------------------------------------------------------------------------------- XSS in the knowledge base


def hostile_kb(kb: Any) -> Any:
    """The demo base with markup in a FAQ's question and answer, a material and a service name."""
    from knowledge.loader import KnowledgeBase
    from knowledge.models import Source, SourceKind

    item = kb.items["food-business-license"]
    faqs = [
        f.model_copy(update={"question": f"{XSS_SCRIPT}食品经营许可证怎么办理？", "answer": f"答案{XSS_IMG}结束"})
        if f.id == "food-business-license/overview" else f
        for f in item.faqs
    ]
    materials = [item.materials[0].model_copy(update={"name": f"申请书{XSS_IMG}"}), *item.materials[1:]]
    sources = {**item.sources, "materials": Source(kind=SourceKind.SEED)}  # shown (not held back as `example`)
    bad = item.model_copy(update={"faqs": faqs, "materials": materials, "sources": sources,
                                  "name": f"食品经营许可证{XSS_SCRIPT}"})
    return KnowledgeBase(items={**kb.items, bad.id: bad})


def test_markup_in_the_knowledge_base_stays_inert(serve: Any, new_page: Any, demo_kb: Any) -> None:
    app = serve(kb=hostile_kb(demo_kb))
    page = new_page(app.url + "/")
    turn = ask(page, "食品经营许可证怎么办理")
    card = turn.locator(".answer-card")
    expect(card.locator(".card-answer")).to_have_text(f"答案{XSS_IMG}结束")
    expect(card.locator(".card-title")).to_have_text(f"{XSS_SCRIPT}食品经营许可证怎么办理？")
    card.locator("summary.card-summary").click()
    expect(card.locator(".check-name").first).to_have_text(f"申请书{XSS_IMG}")
    assert page.locator("#log img, #log script").count() == 0
    assert_clean(page)

    kiosk = new_page(app.url + "/kiosk", width=1080, height=1920)
    expect(kiosk.locator(".tile-name", has_text="食品经营许可证")).to_have_text(f"食品经营许可证{XSS_SCRIPT}")
    before = bot_turns(kiosk)
    kiosk.locator(".tile", has_text="食品经营许可证").click()
    wait_answer(kiosk, before)
    kiosk.click("#btn-print")
    viewer = kiosk.frame_locator("#viewer-frame")
    expect(viewer.locator(".m-name").first).to_contain_text(f"申请书{XSS_IMG}")
    assert viewer.locator("td img").count() == 0
    kiosk.wait_for_timeout(300)
    assert_clean(kiosk)
    assert kiosk.frames[1].evaluate("typeof window.__xss") == "undefined"


# ---------------------------------------------------------------------------------------------- notices and every card kind


@pytest.fixture
def published_notice(live: Any) -> Any:
    """A lost-license notice published on the live app's board."""
    import datetime as dt
    import uuid

    from actions.filings.types import LostNoticeData

    store = live.services.filings
    name = f"青岛蓝湾{uuid.uuid4().hex[:4].upper()}贸易有限公司"
    data = LostNoticeData(company_name=name, uscc=VALID_USCC, license_type="食品经营许可证",
                          license_number="JY13702110012345", lost_date=dt.date(2025, 6, 1), circumstances="遗失正本",
                          contact_name="王五", contact_phone="13812345678")
    filing = store.submit_lost_notice(data, uuid.uuid4().hex)
    store.approve(filing.filing_id, "staff")
    return store.publish(filing.filing_id, "staff")


def test_notice_cards_link_to_the_board(live: Any, new_page: Any, published_notice: Any) -> None:
    page = new_page(live.url + "/")
    turn = ask(page, f"查询{published_notice.applicant}的遗失公告")
    card = turn.locator(".notice")
    expect(card).to_be_visible()
    expect(card).to_contain_text(published_notice.notice_number)
    expect(card).to_contain_text(published_notice.applicant)
    number = published_notice.notice_number
    expect(card.locator("a", has_text="查看公告")).to_have_attribute("href", f"{live.url}/notices/{number}")
    expect(card.locator("a", has_text="下载 PDF")).to_have_attribute("href", f"{live.url}/notices/{number}.pdf")
    with page.context.expect_page() as opened:
        card.locator("a", has_text="查看公告").click()
    board = opened.value
    board.wait_for_load_state()
    expect(board.locator("body")).to_contain_text(published_notice.applicant)
    assert board.evaluate("window.__problems") == []
    assert_clean(page)

    # On the kiosk the notice opens inside the page (no new window, no leaving the kiosk).
    kiosk = new_page(live.url + "/kiosk", width=1280, height=1024)
    turn = ask(kiosk, f"查询{published_notice.applicant}的遗失公告")
    turn.locator(".notice .link-button", has_text="查看公告").click()
    expect(kiosk.locator("#viewer")).to_be_visible()
    expect(kiosk.frame_locator("#viewer-frame").locator("body")).to_contain_text(published_notice.applicant)
    assert len(kiosk.context.pages) == 1
    assert_clean(kiosk)


HOSTILE = XSS_IMG + XSS_SCRIPT


def crafted_messages(sender: str) -> list[dict[str, Any]]:
    """One wire message of every kind, with markup and dangerous URLs wherever a text or URL goes."""
    r = {"recipient_id": sender}
    return [
        {**r, "text": f"文字{HOSTILE}\n第二行"},
        {**r, "text": "答案", "buttons": [{"title": f"按钮{HOSTILE}", "payload": "/greet"}], "image": "javascript:window.__xss=1",
         "custom": {"type": "answer_card", "service_name": f"事项{HOSTILE}", "faq_id": "food-business-license/overview",
                    "question": f"问题{HOSTILE}", "answer": "答案",
                    "materials": [{"name": f"材料{HOSTILE}", "form": "copy", "copies": 2, "notes": HOSTILE, "required_when": "委托时"}],
                    "steps": [{"title": f"步骤{HOSTILE}", "detail": HOSTILE}],
                    "time_limit": {"statutory_days": 20, "promised_days": 0, "notes": HOSTILE},
                    "where": {"zone": f"二楼{HOSTILE}", "window": "1号窗口", "address": ""},
                    "online_entry": {"name": "网上入口", "url": "javascript:window.__xss=1"},
                    "hours": "9:00-17:00", "phone": "0532-00000000", "source": {"kind": "example"}}},
        {**r, "text": "请选择", "custom": {"type": "multi_select", "slot": "items", "min": 1,
                                           "options": [{"title": f"选项{HOSTILE}", "value": "a"}, {"title": "B", "value": "b"}]}},
        {**r, "text": "请核对：\n单位：x", "custom": {"type": "readback", "form": "lost_notice_form",
                                                    "fields": [{"slot": "company_name", "label": "单位名称", "value": HOSTILE}]}},
        {**r, "text": "提交成功", "custom": {"type": "receipt", "filing_id": f"LN1{HOSTILE}", "kind": "lost_notice",
                                           "status": "submitted", "status_label": "已提交", "submitted_at": "2025-06-18T10:00:00+08:00",
                                           "status_hint": HOSTILE}},
        {**r, "text": "公告", "custom": {"type": "notice", "number": "N1", "company_name": HOSTILE, "license_type": "食品经营许可证",
                                         "published_on": "2025-06-18", "url": "javascript:window.__xss=1",
                                         "pdf_url": "data:text/html,<script>window.__xss=1</script>"}},
        {**r, "text": "转人工", "custom": {"type": "handoff", "open": False, "hours": f"工作日{HOSTILE}",
                                           "opens": HOSTILE, "kiosk": False, "hotline": "javascript:window.__xss=1"}},
        {**r, "text": "留言已提交", "custom": {"type": "handoff_ticket", "ticket_id": 1, "number": f"No.1{HOSTILE}",
                                             "kind": "message", "where": HOSTILE, "phone": "139****5678",
                                             "off_hours": True, "opens": HOSTILE}},
        {**r, "text": "工作人员回复：x", "custom": {"type": "staff_reply", "ticket_id": 1, "reply_id": 1, "kind": "reply",
                                                 "body": f"回复{HOSTILE}", "at": "2026-11-20T02:00:00+00:00",
                                                 "closed": True}},
        {**r, "text": "未知卡片", "custom": {"type": "something_new", "html": HOSTILE}},
    ]


def test_every_message_kind_renders_and_stays_inert(live: Any, new_page: Any) -> None:
    page = new_page(live.url + "/")
    sender = sender_of(page)
    page.route("**/api/chat", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"turn_id": "crafted", "messages": crafted_messages(sender)})))
    turn = ask(page, "全部卡片")
    for selector in (".answer-card", "form.multi-select", ".readback", ".receipt", ".notice", ".handoff", ".ticket",
                     ".staff-reply"):
        expect(turn.locator(selector)).to_have_count(1)
    expect(turn.locator(".bubble").first).to_have_text(f"文字{HOSTILE}\n第二行")
    expect(turn.locator(".check-name")).to_have_text(f"材料{HOSTILE}")
    expect(turn.locator(".check-meta")).to_have_text("复印件 · 2 份")
    expect(turn.locator(".answer-card .facts")).to_contain_text("承诺时限：当场办结")
    # its source is `example`: not presented as fact, the card says it is being confirmed and where to ask
    expect(turn.locator(".answer-card .card-unconfirmed")).to_contain_text("正在核实")
    expect(turn.locator(".answer-card .card-unconfirmed")).to_contain_text("12345")
    expect(turn.locator(".answer-card details.card-details")).not_to_have_attribute("open", "")
    expect(turn.locator(".readback dd")).to_have_text(HOSTILE)
    expect(turn.locator(".readback .card-kicker")).to_have_text("许可证遗失公告登记")
    expect(turn.locator(".receipt-number")).to_have_text(f"LN1{HOSTILE}")
    expect(turn.locator(".multi-select label").first).to_have_text(f"选项{HOSTILE}")
    expect(turn.locator(".choice", has_text="按钮")).to_have_text(f"按钮{HOSTILE}")
    expect(turn.locator(".handoff .handoff-closed")).to_have_text(f"不在服务时间，{HOSTILE}上班")
    expect(turn.locator(".handoff a")).to_have_count(0)  # a hotline that is not a number is no link
    expect(turn.locator(".ticket .card-title")).to_have_text(f"No.1{HOSTILE}")
    expect(turn.locator(".staff-reply .card-answer")).to_have_text(f"回复{HOSTILE}")
    expect(turn.locator(".staff-reply .card-hint")).to_contain_text("本次人工服务已结束")
    expect(turn.locator("p.bubble", has_text="未知卡片")).to_be_visible()
    # Dangerous URLs never become links or images.
    assert page.evaluate("[...document.querySelectorAll('a[href], img[src]')].filter(e => "
                         "/^(javascript|data):/i.test(e.getAttribute('href') || e.getAttribute('src'))).length") == 0
    assert turn.locator("img").count() == 0
    assert turn.locator("script").count() == 0
    page.wait_for_timeout(300)
    assert_clean(page)
