"""A concluded validation appears on the public results page, read on a phone (390×844)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from actions.filings.types import ValidationData

pytestmark = pytest.mark.browser

expect: Any = None
try:  # the module still imports without playwright; the `browser` fixture skips then
    from playwright.sync_api import expect as _expect

    expect = _expect
except ImportError:  # pragma: no cover
    pass


def test_a_finished_validation_on_the_public_page_at_phone_width(live: Any, new_page: Any) -> None:
    store = live.services.filings
    name = f"西海岸{uuid.uuid4().hex[:4].upper()}社区卫生服务站"
    reg = f"PDY{uuid.uuid4().hex[:8].upper()}37021117D2152"
    data = ValidationData(institution_name=name, registration_number=reg,
                          items=["医疗机构执业许可证校验", "放射诊疗许可证校验"],
                          license_valid_until=dt.date(2027, 3, 1), contact_name="赵敏", contact_phone="13700001111")
    fid = store.submit_validation(data, uuid.uuid4().hex).filing_id
    for item in data.items:
        store.decide_item(fid, item, "review", "staff")
        store.decide_item(fid, item, "passed", "staff")
    store.finish_validation(fid, "staff")

    page = new_page(live.url + "/validation-results", width=390, height=844, is_mobile=True, has_touch=True)
    expect(page.locator("h1")).to_have_text("医疗机构校验结果公示")
    page.locator("input[name=q]").fill(reg[:11].lower())
    page.locator("button[type=submit]").click()
    result = page.locator("li.result", has_text=name)
    expect(result).to_be_visible()
    expect(result).to_contain_text(reg)
    expect(result).to_contain_text("校验通过")
    expect(result).to_contain_text("放射诊疗许可证校验：通过")
    assert "赵敏" not in page.content() and "13700001111" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "no sideways scrolling"
    result.locator("a", has_text=name).click()
    expect(page.locator("article.notice")).to_contain_text("校验码")
    expect(page.locator("td.outcome")).to_have_text("校验通过")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
