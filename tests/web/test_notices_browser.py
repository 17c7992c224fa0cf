"""The public notice board in a real browser (issue 16): cards on a 390-px phone without sideways scrolling, the
notice page and its print page, and a PDF whose QR code opens the notice's page, which says it is authentic."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.web.test_browser import VALID_USCC, assert_clean, no_horizontal_scroll

pytestmark = pytest.mark.browser

# Long names as real companies have them: they must wrap as words, not one character per line.
COMPANIES = ("青岛西海岸新区灵山湾国际文化旅游发展集团有限公司", "青岛蓝湾海之味餐饮管理有限公司", "黄岛区小张便利店")


@pytest.fixture(scope="module")
def board(live: Any) -> list[Any]:
    """Three notices (one of each lost copy) published on the live app's board."""
    from actions.filings import LostCopy
    from actions.filings.types import LostNoticeData

    store = live.services.filings
    published = []
    for i, (name, copy) in enumerate(zip(COMPANIES, LostCopy, strict=True)):
        data = LostNoticeData(company_name=name,
                              uscc=VALID_USCC, license_type="食品经营许可证", license_number=f"JY1370211001234{i}",
                              lost_date=dt.date(2025, 6, 1 + i), circumstances="遗失", contact_name="王五",
                              contact_phone="13812345678", lost_copy=copy)
        filing = store.submit_lost_notice(data, uuid.uuid4().hex)
        store.approve(filing.filing_id, "staff")
        published.append(store.publish(filing.filing_id, "staff"))
    return published


def _lines(locator: Any) -> float:
    """How many lines a block of text takes (its height over its line height)."""
    return float(locator.evaluate(
        "e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight || '20')"))


def test_the_board_on_a_phone_is_cards_without_sideways_scrolling(live: Any, new_page: Any, board: list[Any],
                                                                  screenshots: Path) -> None:
    page = new_page(live.url + "/notices", width=390, height=844, is_mobile=True, has_touch=True,
                    device_scale_factor=2)
    cards = page.locator(".notice-list .notice-card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 3
    assert page.locator("table").count() == 0  # cards, not a crushed table
    assert no_horizontal_scroll(page)
    longest = page.locator(".nc-title", has_text="灵山湾国际文化旅游").first
    expect(longest).to_be_visible()
    box = longest.bounding_box()
    assert box is not None and box["width"] >= 250, box  # the name has the card's width ...
    assert _lines(longest) <= 3, _lines(longest)  # ... and takes a few lines, not one per character
    for card in cards.all()[:3]:
        pdf = card.locator("a", has_text="下载PDF")
        b = pdf.bounding_box()
        assert b is not None and 0 <= b["x"] and b["x"] + b["width"] <= 390, b  # not cut off
        assert b["height"] >= 40, b  # big enough to tap
    expect(page.locator(".notice-card .copy").first).to_be_visible()  # 正本 / 副本 / 正副本
    page.screenshot(path=str(screenshots / "notices-phone.png"))
    # The notice's own page, too.
    number = board[0].notice_number
    page.goto(f"{live.url}/notices/{number}")
    expect(page.locator("#notice-title")).to_have_text("遗失公告")
    expect(page.locator(".notice .body")).to_contain_text("遗失食品经营许可证正本")
    expect(page.locator("#verification-code")).to_have_text(re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$"))
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(screenshots / "notice-phone.png"), full_page=True)
    assert_clean(page)


def test_the_board_on_a_desktop(live: Any, new_page: Any, board: list[Any], screenshots: Path) -> None:
    page = new_page(live.url + "/notices", width=1280, height=900)
    expect(page.locator(".notice-list .notice-card").first).to_be_visible()
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(screenshots / "notices-desktop.png"))
    # The print-friendly page: the notice on one sheet, no site navigation when printed.
    number = board[1].notice_number
    page.goto(f"{live.url}/notices/{number}/print")
    expect(page.locator(".notice .body")).to_contain_text("遗失食品经营许可证副本")
    expect(page.locator(".verification .qr")).to_be_visible()
    page.emulate_media(media="print")
    assert page.locator("header:visible, nav:visible, .no-print:visible").count() == 0
    assert_clean(page)


def test_the_pdf_downloads_and_its_qr_code_opens_the_notice_page(live: Any, new_page: Any, board: list[Any],
                                                                 screenshots: Path) -> None:
    import zxingcpp
    from PIL import Image

    notice = board[2]
    number = notice.notice_number
    page = new_page(f"{live.url}/notices/{number}", width=390, height=844, is_mobile=True, has_touch=True)
    code = page.locator("#verification-code").inner_text()
    # 下载PDF downloads (Content-Disposition: attachment) under a proper name.
    with page.expect_download() as info:
        page.locator("a", has_text="下载PDF").first.click()
    download = info.value
    assert download.suggested_filename == f"遗失公告-{number}.pdf"
    data = Path(download.path()).read_bytes()
    response = page.context.request.get(f"{live.url}/notices/{number}.pdf")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert f"filename*=UTF-8''{quote(f'遗失公告-{number}.pdf')}" in response.headers["content-disposition"]
    # The PDF carries the code and states the lost copy; its QR code is the notice page's address with the code.
    reader = PdfReader(io.BytesIO(data))
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
    assert f"核验码：{code}" in text and "遗失食品经营许可证正副本" in text
    [image] = reader.pages[0].images
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    url = str(found.text)
    assert url.startswith(f"{live.url}/notices/{number}?code="), url
    # Scanning it opens the notice's page, which says the notice is authentic.
    phone = new_page(url, width=390, height=844, is_mobile=True, has_touch=True, device_scale_factor=2)
    expect(phone.locator(".verdict.ok")).to_contain_text("核验通过")
    expect(phone.locator(".notice .number")).to_have_text(number)
    assert no_horizontal_scroll(phone)
    phone.screenshot(path=str(screenshots / "notice-verified-phone.png"))
    # A forged code (a PDF altered by hand) does not verify.
    forged = code[:-1] + ("A" if code[-1] != "A" else "B")
    phone.goto(f"{live.url}/notices/{number}?code={forged}")
    expect(phone.locator(".verdict.bad")).to_contain_text("核验未通过")
    # Typed in from paper on the verification page.
    phone.goto(f"{live.url}/notices/verify")
    phone.fill("input[name=number]", number.lower())
    phone.fill("input[name=code]", code.lower().replace("-", " "))
    phone.click("button[type=submit]")
    expect(phone.locator(".verdict.ok")).to_contain_text("核验通过")
    assert_clean(page)
    assert_clean(phone)
