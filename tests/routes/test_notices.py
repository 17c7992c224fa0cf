"""The public notice board: HTML list and detail, JSON, PDF, escaping, errors and the start-up hook."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader

from actions.filings import FilingStore, LostNoticeData

Client = Any


def _data(**overrides: Any) -> LostNoticeData:
    fields: dict[str, Any] = {
        "company_name": "青岛西海岸新区海味餐饮有限公司", "uscc": "91370211MA3C4X5Y6Z", "license_type": "食品经营许可证",
        "license_number": "JY13702110012345", "lost_date": date(2026, 11, 2), "circumstances": "遗失",
        "contact_name": "张海", "contact_phone": "13812345678",
    }
    return LostNoticeData(**{**fields, **overrides})


def _store(client: Client) -> FilingStore:
    store = client.app.state.services.filings
    assert isinstance(store, FilingStore)
    return store


def _publish(client: Client, key: str, **overrides: Any) -> str:
    store = _store(client)
    fid = store.submit_lost_notice(_data(**overrides), key).filing_id
    store.approve(fid, "staff")
    number = store.publish(fid, "staff").notice_number
    assert number
    return number


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client()


def test_startup_hook_puts_a_migrated_store(client: Client) -> None:
    store = _store(client)
    assert store.search_notices() == ([], 0)
    page = client.get("/notices")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "共 0 条公告" in page.text


def test_list_search_and_pagination(client: Client) -> None:
    for i in range(3):
        _publish(client, f"f{i}", company_name=f"海味餐饮第{i}分店")
    _publish(client, "book", company_name="书香文化有限公司", license_type="出版物经营许可证")
    page = client.get("/notices", params={"q": "餐饮"})
    assert page.status_code == 200 and "共 3 条公告" in page.text and "海味餐饮第2分店" in page.text
    assert "书香文化有限公司" not in page.text
    data = client.get("/notices", params={"license_type": "出版物许可证", "format": "json"}).json()  # an alias
    assert data["total"] == 1 and data["items"][0]["company_name"] == "书香文化有限公司"
    assert data["items"][0]["pdf_url"].endswith(".pdf")
    data = client.get("/notices", params={"number": "XHA-YS-2026-0002", "format": "json"}).json()
    assert [n["number"] for n in data["items"]] == ["XHA-YS-2026-0002"]
    first = client.get("/notices", params={"per_page": 2, "format": "json"}).json()
    second = client.get("/notices", params={"per_page": 2, "page": 2, "format": "json"}).json()
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (4, 2, 2, 2)
    assert not {n["number"] for n in first["items"]} & {n["number"] for n in second["items"]}
    html = client.get("/notices", params={"per_page": 2}).text
    assert "page=2" in html and "下一页" in html
    assert client.get("/notices", params={"page": 0}).status_code == 422
    assert client.get("/notices", params={"format": "xml"}).status_code == 422


def test_detail_and_pdf(client: Client) -> None:
    number = _publish(client, "k")
    page = client.get(f"/notices/{number}")
    assert page.status_code == 200 and "青岛西海岸新区海味餐饮有限公司" in page.text and "声明作废" in page.text
    assert client.get(f"/notices/{number.lower()}").status_code == 200
    pdf = client.get(f"/notices/{number}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).replace("\n", "")
    assert "青岛西海岸新区海味餐饮有限公司" in text and number in text
    css = client.get("/notices/assets/notices.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_unknown_notice(client: Client) -> None:
    page = client.get("/notices/XHA-YS-2026-9999")
    assert page.status_code == 404 and "没有找到该遗失公告" in page.text
    pdf = client.get("/notices/XHA-YS-2026-9999.pdf")
    assert pdf.status_code == 404
    assert pdf.json()["error"] == "notice_not_found" and pdf.json()["message"]


def test_user_text_is_escaped(client: Client) -> None:
    evil = '<script>alert("x")</script>有限公司'
    number = _publish(client, "evil", company_name=evil)
    for url in ("/notices", f"/notices/{number}", "/notices?q=%3Cscript%3E"):
        body = client.get(url).text
        assert "<script>" not in body and "&lt;script&gt;" in body, url
    reflected = client.get("/notices", params={"q": '"><img src=x onerror=alert(1)>'}).text
    assert "<img" not in reflected


def test_filing_errors_become_json(client: Client) -> None:
    from actions.filings import FilingNotFound, InvalidTransition

    app = client.app

    @app.get("/_test/not-found")
    def _nf() -> None:
        raise FilingNotFound("LN20261120001")

    @app.get("/_test/transition")
    def _tr() -> None:
        raise InvalidTransition("published", "approved")

    nf = client.get("/_test/not-found")
    assert nf.status_code == 404 and nf.json()["error"] == "filing_not_found" and nf.json()["detail"]
    tr = client.get("/_test/transition")
    assert tr.status_code == 409 and tr.json()["error"] == "invalid_transition"
    assert "不能" in tr.json()["message"]


def test_search_by_license_number_and_traditional_characters(client: Client) -> None:
    _publish(client, "ms", company_name="青岛明远餐饮有限公司", license_number="JY13702110066666")
    _publish(client, "other", company_name="青岛海韵书店有限公司", license_type="出版物经营许可证",
             license_number="新出发青字第370211999号")
    for q in ("JY13702110066666", "青島明遠餐飲", "查询遗失公告 青岛明远餐饮有限公司", "明远餐饮公司", "食经证 明远"):
        data = client.get("/notices", params={"q": q, "format": "json"}).json()
        assert [n["company_name"] for n in data["items"]] == ["青岛明远餐饮有限公司"], q
    page = client.get("/notices", params={"q": "370211999"})
    assert "共 1 条公告" in page.text and "青岛海韵书店有限公司" in page.text
