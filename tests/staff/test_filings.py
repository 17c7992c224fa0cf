"""Filing review in the console: lost-notice queue to publication, validations item by item, reminders."""

from __future__ import annotations

import datetime as dt
import re
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
    view = filings.submit_validation(validation_data(), "key-4")
    page = reviewer.get("/admin/reminders")
    assert page.status_code == 200 and "近期没有到期的机构" in page.text  # its application covers the due date
    for item in view.items:
        filings.decide_item(view.filing_id, item, "review", "reviewer")
        filings.decide_item(view.filing_id, item, "not_passed", "reviewer")
    filings.finish_validation(view.filing_id, "reviewer")
    page = reviewer.get("/admin/reminders")  # not passed: due again
    assert page.status_code == 200 and "黄岛区康宁诊所" in page.text


def test_an_editor_cannot_approve(client: Any, users: dict[str, Any], filings: Any) -> None:
    filing = filings.submit_lost_notice(notice_data(license_number="JY13702110077777"), "key-5")
    login(client, "editor")
    token = csrf_of(client)
    r = client.post(f"/admin/filings/{filing.filing_id}/approve", data={"csrf_token": token})
    assert r.status_code == 403
    assert filings.get(filing.filing_id).status == "submitted"


def test_reject_names_the_fields_to_fix_and_shows_the_resubmission(reviewer: Any, filings: Any) -> None:
    filing = filings.submit_lost_notice(notice_data(license_number="JY13702110055555"), "key-6")
    page = reviewer.get(f"/admin/filings/{filing.filing_id}").text
    assert 'name="fix_fields" value="uscc"' in page and "统一社会信用代码" in page
    r = reviewer.post(f"/admin/filings/{filing.filing_id}/reject",
                      data={"reason": "信用代码与营业执照不一致", "fix_fields": ["uscc", "license_number"]}, follow_redirects=False)
    assert r.status_code == 303
    assert filings.get(filing.filing_id).fix_fields == ("uscc", "license_number")
    page = reviewer.get(f"/admin/filings/{filing.filing_id}").text
    assert '<dd id="fix-fields">统一社会信用代码、许可证编号</dd>' in page
    again = filings.submit_lost_notice(notice_data(license_number="JY13702110055556"), "key-7",
                                       resubmission_of=filing.filing_id)
    assert f'id="resubmitted-as">{again.filing_id}<' in reviewer.get(f"/admin/filings/{filing.filing_id}").text
    assert f'id="resubmission-of">{filing.filing_id}<' in reviewer.get(f"/admin/filings/{again.filing_id}").text
    queue = reviewer.get("/admin/filings?kind=lost_notice&status=submitted").text
    assert f"{again.filing_id}</a> <span class=\"badge\" title=\"{filing.filing_id} 被驳回后修改重新提交\">重新提交</span>" in queue
    entries, _ = staff_of(reviewer).audit.entries(action="filing_reject")
    assert entries[0].after["fix_fields"] == ["uscc", "license_number"]


def test_several_items_in_one_post_and_pass_all(reviewer: Any, filings: Any) -> None:
    data = validation_data(items=["医疗机构执业许可证", "放射诊疗许可证", "母婴保健技术服务执业许可证"])
    fid = filings.submit_validation(data, "key-8").filing_id
    page = reviewer.get(f"/admin/filings/{fid}").text
    assert 'id="decide-items"' in page and "全部通过并办结" in page and "不变" in page
    r = reviewer.post(f"/admin/filings/{fid}/decide-items", follow_redirects=False, data={
        "item": data.items, "decision": ["passed", "rectification", ""], "note": ["", "防护门需加装联锁装置", ""]})
    assert r.status_code == 303
    view = filings.get(fid)
    assert view.items == {"医疗机构执业许可证": "passed", "放射诊疗许可证": "rectification",
                          "母婴保健技术服务执业许可证": "pending"}
    assert view.item_notes == {"放射诊疗许可证": "防护门需加装联锁装置"}
    page = reviewer.get(f"/admin/filings/{fid}").text
    assert "其余事项通过并办结" in page and "防护门需加装联锁装置" in page
    history = page[page.index("办理记录"):]
    for code in ("review", "rectification", "passed", "pending", "in_review"):
        assert f">{code}<" not in history and f"：{code}" not in history and f": {code}" not in history
    assert "放射诊疗许可证：整改中" in history
    nothing = reviewer.post(f"/admin/filings/{fid}/decide-items", data={"item": data.items, "decision": ["", "", ""]})
    assert nothing.status_code == 422 and "至少" in nothing.text
    illegal = reviewer.post(f"/admin/filings/{fid}/decide-items", data={"item": [data.items[2]], "decision": ["approved"]})
    assert illegal.status_code == 422 and filings.get(fid).items["母婴保健技术服务执业许可证"] == "pending"
    assert reviewer.post(f"/admin/filings/{fid}/pass-all", follow_redirects=False).status_code == 303
    view = filings.get(fid)
    assert view.status == "passed" and set(view.items.values()) == {"passed"}
    assert "全部通过并办结" not in reviewer.get(f"/admin/filings/{fid}").text
    entries, _ = staff_of(reviewer).audit.entries(action="filing_pass_all")
    assert entries and entries[0].target == fid


def test_a_reviewer_sees_no_link_to_pages_of_other_roles(reviewer: Any) -> None:
    home = reviewer.get("/admin").text
    assert 'href="/admin/knowledge' not in home and 'href="/admin/inbox' not in home and "在用事项" in home
    assert reviewer.get("/admin/knowledge").status_code == 403
    for link in set(re.findall(r'href="(/admin[^"]*)"', home)):
        assert reviewer.get(link.replace("&amp;", "&")).status_code == 200, link
