"""The console's medical-validation pages: import the institution list with a preview, see who falls due and every
delivery's status, correct a published result (visible on the public page), the figures from real data."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.reminders.conftest import roster
from tests.staff.conftest import csrf_of, login
from tests.staff.test_filings import validation_data

ROWS = [("康宁诊所", "PDY00000137021117D2152", "2030-01-01", "13800001234", ""),
        ("坏日期诊所", "PDY00000237021117D2152", "不详", "13800005678", "")]


@pytest.fixture
def reviewer(client: Any, users: dict[str, Any]) -> Any:
    login(client, "reviewer")
    client.headers["X-CSRF-Token"] = csrf_of(client)
    return client


@pytest.fixture
def services(client: Any) -> Any:
    return client.app.state.services


def test_import_preview_then_commit(reviewer: Any, services: Any) -> None:
    token = csrf_of(reviewer)
    r = reviewer.post("/admin/institutions/import", data={"csrf_token": token},
                      files={"file": ("名单.csv", roster(ROWS), "text/csv")}, follow_redirects=True)
    assert r.status_code == 200, r.text
    assert "新增 1 家" in r.text and "第 3 行" in r.text and "日期无法识别" in r.text
    assert services.institutions.count() == 0  # a preview writes nothing
    import_id = re.search(r"/admin/institutions/import/([0-9a-f]+)/commit", r.text).group(1)
    r = reviewer.post(f"/admin/institutions/import/{import_id}/commit", data={"csrf_token": token},
                      follow_redirects=True)
    assert r.status_code == 200, r.text
    assert services.institutions.count() == 1 and "已导入" in r.text
    page = reviewer.get("/admin/institutions")
    assert "康宁诊所" in page.text and "名单导入" in page.text
    bad = reviewer.post("/admin/institutions/import", data={"csrf_token": token},
                        files={"file": ("名单.pdf", b"%PDF", "application/pdf")})
    assert bad.status_code == 422 and "请上传 .xlsx 或 .csv 文件" in bad.text


def test_deliveries_visible_and_a_result_corrected(reviewer: Any, services: Any) -> None:
    filings = services.filings
    view = filings.submit_validation(validation_data(), "k1")
    for item in view.items:
        filings.decide_item(view.filing_id, item, "review", "reviewer")
        filings.decide_item(view.filing_id, item, "not_passed", "reviewer")
    filings.finish_validation(view.filing_id, "reviewer")
    services.reminders.daily_pass()
    page = reviewer.get("/admin/reminders")
    assert page.status_code == 200, page.text
    assert "发送记录" in page.text and "灵灵对话" in page.text and "待发送" in page.text

    number = services.results.of_filing(view.filing_id).number
    token = csrf_of(reviewer)
    r = reviewer.post(f"/admin/validation-results/{number}/correct", data={"csrf_token": token, "reason": ""})
    assert r.status_code == 200 and "更正必须填写原因" in r.text
    item = view.items and next(iter(view.items))
    r = reviewer.post(f"/admin/validation-results/{number}/correct", follow_redirects=True, data={
        "csrf_token": token, "reason": "复核材料后更正", **{f"outcome:{i}": "passed" for i in view.items}})
    assert r.status_code == 200, r.text
    public = reviewer.get(f"/validation-results/{number}")
    assert "复核材料后更正" in public.text and "校验通过" in public.text and item

    figures = reviewer.get("/admin/validation-figures")
    assert figures.status_code == 200, figures.text
    assert "1 件" in figures.text and "不通过" not in figures.text and "未通过 1" in figures.text
    home = reviewer.get("/admin")
    assert home.status_code == 200, home.text
    assert "校验平均办结工作日" in home.text and "按时办结 1/1" in home.text and "3个月内校验到期" in home.text
