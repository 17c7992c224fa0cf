"""The public notice board: HTML list and detail, JSON, PDF, escaping, errors and the start-up hook."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader

from actions.filings import FilingStore, LostCopy, LostNoticeData

Client = Any


def pdf_text(data: bytes) -> str:
    """The PDF's text in one line (pypdf reads the CJK fonts' two-byte codes with NULs in between)."""
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\n", "").replace("\x00", "")


def pdf_qr(data: bytes) -> str:
    """The one QR code printed in the PDF, decoded from its image."""
    import zxingcpp
    from PIL import Image

    [image] = PdfReader(io.BytesIO(data)).pages[0].images
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    return str(found.text)


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
    text = pdf_text(pdf.content)
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


# ---------------------------------------------------------------------------------------------- issue 16: the notice


def test_notice_states_the_lost_copy(client: Client) -> None:
    number = _publish(client, "copy", lost_copy=LostCopy.DUPLICATE)
    old = _publish(client, "old")  # filed before the form asked: says nothing about it
    page = client.get(f"/notices/{number}").text
    assert "遗失食品经营许可证副本，" in page and "<dt>遗失证照</dt><dd>副本</dd>" in page
    assert "遗失证照" not in client.get(f"/notices/{old}").text
    board = client.get("/notices").text
    assert '<span class="copy">副本</span>' in board
    assert client.get("/notices", params={"format": "json"}).json()["items"][1]["lost_copy"] == "副本"
    assert "遗失食品经营许可证副本" in pdf_text(client.get(f"/notices/{number}.pdf").content)


def test_pdf_downloads_with_a_proper_file_name_code_and_qr_code(client: Client) -> None:
    number = _publish(client, "pdf", lost_copy=LostCopy.ORIGINAL)
    r = client.get(f"/notices/{number}.pdf")
    assert r.status_code == 200, r.text
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="{number}.pdf"' in disposition
    assert f"filename*=UTF-8''%E9%81%97%E5%A4%B1%E5%85%AC%E5%91%8A-{number}.pdf" in disposition  # 遗失公告-<number>.pdf
    page = client.get(f"/notices/{number}").text
    code = re.search(r'id="verification-code">([0-9A-Z-]{19})<', page)
    assert code, page
    assert f"核验码：{code.group(1)}" in pdf_text(r.content)
    url = pdf_qr(r.content)
    assert url == f"http://testserver/notices/{number}?code={code.group(1)}"
    opened = client.get(url)
    assert opened.status_code == 200 and "核验通过" in opened.text and "核验未通过" not in opened.text
    assert "青岛西海岸新区海味餐饮有限公司" in opened.text
    # The page shows the same QR code (an image: no markup of ours inside).
    assert 'class="qr" src="data:image/svg+xml;base64,' in page


def test_forged_notices_do_not_verify(client: Client) -> None:
    number = _publish(client, "real")
    other = _publish(client, "other", company_name="青岛另一家餐饮有限公司")
    code = re.search(r'id="verification-code">([0-9A-Z-]{19})<', client.get(f"/notices/{number}").text).group(1)  # type: ignore[union-attr]
    # A real code printed on another notice (a forged copy), a changed code, a made-up number.
    for url in (f"/notices/{other}?code={code}", f"/notices/{number}?code={code[:-1]}{'Y' if code[-1] != 'Y' else 'Z'}",
                f"/notices/{number}?code=hello"):
        page = client.get(url)
        assert page.status_code == 200 and "核验未通过" in page.text and "核验通过" not in page.text.replace("核验未通过", ""), url
    made_up = client.get(f"/notices/XHA-YS-2026-0999?code={code}")
    assert made_up.status_code == 404 and "核验未通过" in made_up.text
    # Another secret (another installation) makes other codes.
    assert client.app.state.services.settings.secret_key
    from actions.filings.verification import notice_code

    notice = _store(client).notice(number)
    assert notice is not None and notice_code(notice, "another secret") != code


def test_verify_page_takes_a_typed_number_and_code(client: Client) -> None:
    number = _publish(client, "typed")
    code = re.search(r'id="verification-code">([0-9A-Z-]{19})<', client.get(f"/notices/{number}").text).group(1)  # type: ignore[union-attr]
    form = client.get("/notices/verify")
    assert form.status_code == 200 and 'name="code"' in form.text
    typed = client.get("/notices/verify", params={"number": number.lower(), "code": code.lower().replace("-", " ")},
                       follow_redirects=False)
    assert typed.status_code == 303 and typed.headers["location"] == f"/notices/{number}?code={code.replace('-', '')}"
    assert "核验通过" in client.get(typed.headers["location"]).text
    assert client.get("/notices/verify", params={"number": number, "code": "12"}).status_code == 422
    assert client.get("/notices/verify", params={"number": number}).status_code == 422
    unknown = client.get("/notices/verify", params={"number": "XHA-YS-2030-0001", "code": code})
    assert unknown.status_code == 404 and "核验未通过" in unknown.text
    evil = client.get("/notices/verify", params={"number": "<script>x</script>", "code": code}).text
    assert "<script>x" not in evil


def test_print_page_is_the_notice_alone(client: Client) -> None:
    number = _publish(client, "print")
    page = client.get(f"/notices/{number}/print")
    assert page.status_code == 200, page.text
    assert 'id="btn-print"' in page.text and "/static/js/print.js" in page.text
    assert 'class="site"' not in page.text  # no site header or footer on the sheet
    assert "声明作废" in page.text and "核验码" in page.text
    assert client.get("/notices/XHA-YS-2026-0999/print").status_code == 404
    assert "@media print" in client.get("/notices/assets/notices.css").text


def test_links_and_qr_codes_use_the_public_base_url(make_client: Callable[..., Client]) -> None:
    client = make_client(public_base_url="https://zwfw.example.gov.cn")
    number = _publish(client, "public")
    data = client.get("/notices", params={"format": "json"}).json()["items"][0]
    assert data["url"] == f"https://zwfw.example.gov.cn/notices/{number}"
    url = pdf_qr(client.get(f"/notices/{number}.pdf", headers={"host": "10.1.2.3:5005"}).content)
    assert url.startswith(f"https://zwfw.example.gov.cn/notices/{number}?code=")


def test_search_by_license_number_and_traditional_characters(client: Client) -> None:
    _publish(client, "ms", company_name="青岛明远餐饮有限公司", license_number="JY13702110066666")
    _publish(client, "other", company_name="青岛海韵书店有限公司", license_type="出版物经营许可证",
             license_number="新出发青字第370211999号")
    for q in ("JY13702110066666", "青島明遠餐飲", "查询遗失公告 青岛明远餐饮有限公司", "明远餐饮公司", "食经证 明远"):
        data = client.get("/notices", params={"q": q, "format": "json"}).json()
        assert [n["company_name"] for n in data["items"]] == ["青岛明远餐饮有限公司"], q
    page = client.get("/notices", params={"q": "370211999"})
    assert "共 1 条公告" in page.text and "青岛海韵书店有限公司" in page.text
