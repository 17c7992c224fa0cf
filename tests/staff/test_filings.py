"""Filing review in the console: lost-notice queue to publication, validations item by item, reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.staff.conftest import csrf_of, login, staff_of


def notice_data(**overrides: Any) -> Any:
    from actions.filings import LostNoticeData

    fields: dict[str, Any] = {
        "company_name": "青岛西海岸新区海味餐饮有限公司", "uscc": "91370211MA3C4X5Y6Z", "license_type": "食品经营许可证",
        "license_number": "JY13702110012345", "lost_date": dt.date(2025, 6, 2), "circumstances": "搬迁办公场所时遗失正本",
        "contact_name": "张海", "contact_phone": "13812345678",
    }
    return LostNoticeData(**{**fields, **overrides})


def validation_data(**overrides: Any) -> Any:
    from actions.filings import ValidationData

    fields: dict[str, Any] = {
        "institution_name": "黄岛区康宁诊所", "registration_number": "PDY12345637021117D2152",
        "items": ["医疗机构执业许可证校验", "放射诊疗许可证校验"],
        "license_valid_until": dt.date.today() + dt.timedelta(days=40), "contact_name": "李康", "contact_phone": "0532-8688 7766",
    }
    return ValidationData(**{**fields, **overrides})


@pytest.fixture
def filings(client: Any) -> Any:
    return client.app.state.services.filings


@pytest.fixture
def reviewer(client: Any, users: dict[str, Any]) -> Any:
    login(client, "reviewer")
    client.headers["X-CSRF-Token"] = csrf_of(client)
    return client


def test_lost_notice_is_approved_and_published_on_the_board(reviewer: Any, filings: Any) -> None:
    filing = filings.submit_lost_notice(notice_data(), "key-1")
    queue = reviewer.get("/admin/filings?kind=lost_notice&status=submitted")
    assert filing.filing_id in queue.text and "青岛西海岸新区海味餐饮有限公司" in queue.text
    page = reviewer.get(f"/admin/filings/{filing.filing_id}")
    assert "审核通过" in page.text and "驳回" in page.text
    assert reviewer.post(f"/admin/filings/{filing.filing_id}/approve", follow_redirects=False).status_code == 303
    assert filings.get(filing.filing_id).status == "approved"
    assert reviewer.post(f"/admin/filings/{filing.filing_id}/publish", follow_redirects=False).status_code == 303
    view = filings.get(filing.filing_id)
    assert view.status == "published" and view.notice_number
    board = reviewer.get("/notices")
    assert view.notice_number in board.text and "青岛西海岸新区海味餐饮有限公司" in board.text
    # a second publish is an illegal transition, shown in Chinese
    again = reviewer.post(f"/admin/filings/{filing.filing_id}/publish")
    assert again.status_code == 409 and "不能" in again.text
    entries, _ = staff_of(reviewer).audit.entries(action="filing_publish")
    assert entries[0].target == filing.filing_id and entries[0].after["notice_number"] == view.notice_number


def test_reject_needs_a_reason(reviewer: Any, filings: Any) -> None:
    filing = filings.submit_lost_notice(notice_data(license_number="JY13702110099999"), "key-2")
    r = reviewer.post(f"/admin/filings/{filing.filing_id}/reject", data={"reason": "  "})
    assert r.status_code == 422 and "理由" in r.text
    r = reviewer.post(f"/admin/filings/{filing.filing_id}/reject", data={"reason": "许可证编号与登记信息不符"}, follow_redirects=False)
    assert r.status_code == 303
    view = filings.get(filing.filing_id)
    assert view.status == "rejected" and view.reason == "许可证编号与登记信息不符"


def test_validation_items_onsite_rectification_and_result(reviewer: Any, filings: Any) -> None:
    filing = filings.submit_validation(validation_data(), "key-3")
    fid = filing.filing_id
    page = reviewer.get(f"/admin/filings/{fid}")
    assert "医疗机构执业许可证校验" in page.text and "作出结论" in page.text
    for item in filing.items:
        assert reviewer.post(f"/admin/filings/{fid}/decide", data={"item": item, "decision": "review"}).status_code == 200
    item_a, item_b = list(filing.items)
    reviewer.post(f"/admin/filings/{fid}/decide", data={"item": item_a, "decision": "onsite", "note": "约定周三现场核查"})
    assert filings.get(fid).status == "onsite"
    reviewer.post(f"/admin/filings/{fid}/decide", data={"item": item_b, "decision": "rectification", "note": "补充防护记录"})
    assert filings.get(fid).status == "rectification"
    early = reviewer.post(f"/admin/filings/{fid}/finish")
    assert early.status_code == 409 and "结论" in early.text
    reviewer.post(f"/admin/filings/{fid}/decide", data={"item": item_a, "decision": "passed"})
    reviewer.post(f"/admin/filings/{fid}/decide", data={"item": item_b, "decision": "passed"})
    assert reviewer.post(f"/admin/filings/{fid}/finish", follow_redirects=False).status_code == 303
    assert filings.get(fid).status == "passed"
    history = reviewer.get(f"/admin/filings/{fid}").text
    assert "约定周三现场核查" in history and "reviewer" in history


def test_reminders_list_institutions_due_within_three_months(reviewer: Any, filings: Any) -> None:
    filings.submit_validation(validation_data(), "key-4")
    page = reviewer.get("/admin/reminders")
    assert page.status_code == 200 and "黄岛区康宁诊所" in page.text


def test_an_editor_cannot_approve(client: Any, users: dict[str, Any], filings: Any) -> None:
    filing = filings.submit_lost_notice(notice_data(license_number="JY13702110077777"), "key-5")
    login(client, "editor")
    token = csrf_of(client)
    r = client.post(f"/admin/filings/{filing.filing_id}/approve", data={"csrf_token": token})
    assert r.status_code == 403
    assert filings.get(filing.filing_id).status == "submitted"


def test_a_second_notice_of_the_same_license_is_flagged_to_the_reviewer(reviewer: Any, filings: Any) -> None:
    first = filings.submit_lost_notice(notice_data(), "dup-1")
    filings.approve(first.filing_id, "staff01")
    filings.publish(first.filing_id, "staff01")
    other_license = filings.submit_lost_notice(notice_data(license_type="出版物经营许可证"), "dup-2")
    second = filings.submit_lost_notice(notice_data(uscc="91370211ma3c4x5y6z"), "dup-3")
    page = reviewer.get(f"/admin/filings/{second.filing_id}")
    assert page.status_code == 200, page.text
    assert 'id="same-license"' in page.text and first.filing_id in page.text
    assert filings.get(first.filing_id).notice_number in page.text
    assert other_license.filing_id not in page.text
    unrelated = reviewer.get(f"/admin/filings/{other_license.filing_id}")
    assert 'id="same-license"' not in unrelated.text
    flagged = reviewer.get(f"/admin/filings/{first.filing_id}")  # the published one sees the new one under review
    assert second.filing_id in flagged.text
