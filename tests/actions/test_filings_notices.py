"""Published notices: numbering, search, pagination, permanence and the PDF."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from actions.filings import FilingStore, FontMissing, LostNoticeData, NoticeView
from actions.filings.cjkfont import FONT_CANDIDATES, FONT_ENV, FontFace, find_font, notice_font, pick_face
from actions.filings.pdf import notice_body, notice_lines, render_notice_pdf
from tests.actions.conftest import PUBLIC_BASE, FakeClock
from tests.needs import skip, tool

Notice = Callable[..., LostNoticeData]


def _publish(store: FilingStore, data: LostNoticeData, key: str) -> str:
    fid = store.submit_lost_notice(data, key).filing_id
    store.approve(fid, "a")
    number = store.publish(fid, "a").notice_number
    assert number is not None
    return number


@pytest.fixture
def board(filing_store: FilingStore, filing_clock: FakeClock, make_notice: Notice) -> FilingStore:
    """Five notices of two license types over five days, plus one unpublished filing."""
    companies = ["海味餐饮有限公司", "书香文化传媒有限公司", "海风餐饮管理有限公司", "百分_之%百商贸有限公司", "海岸体育发展有限公司"]
    types = ["食品经营许可证", "出版物经营许可证", "食品经营许可证", "食品经营许可证", "高危险性体育项目经营许可证"]
    for i, (name, kind) in enumerate(zip(companies, types, strict=True)):
        _publish(filing_store, make_notice(company_name=name, license_type=kind, uscc=f"9137021100000000{i}X"), f"k{i}")
        filing_clock.advance(days=1)
    filing_store.submit_lost_notice(make_notice(company_name="海未刊登有限公司"), "unpublished")
    return filing_store


def test_numbers_are_yearly_and_readable(board: FilingStore, filing_clock: FakeClock, make_notice: Notice) -> None:
    filing_clock.advance(days=50)  # into 2027
    assert _publish(board, make_notice(), "next-year") == "XHA-YS-2027-0001"
    n = board.notice("XHA-YS-2026-0005")
    assert n is not None and n.published_on == date(2026, 11, 24)


def test_search_by_company_type_and_number(board: FilingStore) -> None:
    found, total = board.search_notices(q="餐饮")
    assert total == 2 and [n.company_name for n in found] == ["海风餐饮管理有限公司", "海味餐饮有限公司"]
    found, total = board.search_notices(q="海")
    assert total == 3  # the unpublished filing is not on the board
    found, total = board.search_notices(license_type="食品经营许可证")
    assert total == 3
    found, total = board.search_notices(q="海", license_type="食品经营许可证")
    assert total == 2
    found, total = board.search_notices(number="XHA-YS-2026-0002")
    assert [n.company_name for n in found] == ["书香文化传媒有限公司"]
    found, total = board.search_notices(number="xha－ys-2026-0002")  # any case, full-width hyphen
    assert total == 1
    found, total = board.search_notices(q="2026-0004")
    assert [n.company_name for n in found] == ["百分_之%百商贸有限公司"]
    found, total = board.search_notices(q="91370211000000001x")
    assert total == 1 and found[0].number == "XHA-YS-2026-0002"


def test_search_treats_wildcards_literally(board: FilingStore) -> None:
    assert board.search_notices(q="%")[1] == 1
    assert board.search_notices(q="_")[1] == 1
    assert board.search_notices(q="不存在的公司")[1] == 0


def test_pagination(board: FilingStore) -> None:
    pages = [board.search_notices(page=p, per_page=2) for p in (1, 2, 3, 4)]
    assert [t for _, t in pages] == [5, 5, 5, 5]
    numbers = [n.number for found, _ in pages for n in found]
    assert numbers == [f"XHA-YS-2026-{i:04d}" for i in range(5, 0, -1)]  # newest first, no overlap
    assert pages[3][0] == []
    assert len(board.search_notices(per_page=1000)[0]) == 5  # capped, not refused


def test_notice_view_and_permanence(board: FilingStore) -> None:
    n = board.notice("xha-ys-2026-0001")
    assert isinstance(n, NoticeView)
    assert n.url == f"{PUBLIC_BASE}/notices/XHA-YS-2026-0001" and n.pdf_url == n.url + ".pdf"
    assert (n.company_name, n.license_type, n.lost_date) == ("海味餐饮有限公司", "食品经营许可证", date(2026, 11, 2))
    board.reissue(n.filing_id, "窗口")
    assert board.notice(n.number) == n  # reissuing keeps the notice on the board
    assert board.notice("XHA-YS-2026-9999") is None
    assert not [name for name in dir(board) if name.startswith(("delete", "remove", "unpublish"))]


def test_relative_urls_without_base(filing_db_url: str, make_notice: Notice) -> None:
    store = FilingStore(filing_db_url)
    store.migrate()
    try:
        number = _publish(store, make_notice(), "k")
        n = store.notice(number)
        assert n is not None and n.url == f"/notices/{number}" and n.pdf_url == f"/notices/{number}.pdf"
    finally:
        store.close()


def pdf_text(data: bytes) -> str:
    """The PDF's text in one line (pypdf reads the CJK fonts' two-byte codes with NULs in between)."""
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\n", "").replace("\x00", "")


def _sample() -> NoticeView:
    return NoticeView("XHA-YS-2026-0001", "LN20261120001", "青岛西海岸新区海味餐饮有限公司", "91370211MA3C4X5Y6Z",
                      "食品经营许可证", "JY13702110012345", date(2026, 11, 2), date(2026, 11, 20),
                      "https://zwfw.example.gov.cn/notices/XHA-YS-2026-0001", "")


def _noto() -> FontFace:
    """The font the project's set-up installs (fonts-noto-cjk), whatever LINGLING_NOTICE_FONT says."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return pick_face(Path(candidate))
    skip("noto-cjk", "no Noto CJK collection installed")


def _words(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_is_set_in_the_simplified_chinese_face_and_its_text_extracts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FONT_ENV, raising=False)
    face = _noto()
    assert face.name.endswith(" SC") and face.index != 0, face  # the collection's first face is Japanese
    notice = _sample()
    data = render_notice_pdf(notice)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    fonts = [f.get_object() for page in reader.pages for f in page["/Resources"]["/Font"].values()]
    assert [str(f["/BaseFont"]).split("+")[-1] for f in fonts] == [face.name.replace(" ", "")]  # e.g. NotoSansCJKSC
    assert all(f["/Encoding"] == "/Identity-H" for f in fonts)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "\x00" not in text
    assert notice_body(notice) in text.replace("\n", "")
    assert _words(text) == _words("".join(notice_lines(notice)))


def test_pdftotext_reads_the_notice_and_pdffonts_names_the_sc_face(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pdftotext, pdffonts = tool("pdftotext", "poppler"), tool("pdffonts", "poppler")
    monkeypatch.delenv(FONT_ENV, raising=False)
    face = _noto()
    notice = _sample()
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(render_notice_pdf(notice))
    text = subprocess.run([pdftotext, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert notice_body(notice) in text.replace("\n", "")
    assert _words(text) == _words("".join(notice_lines(notice)))
    fonts = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert len(fonts) == 1 and fonts[0].split()[0].endswith("+" + face.name.replace(" ", "")), fonts
    assert "CID TrueType" in fonts[0] and "Identity-H" in fonts[0]


def test_a_collection_face_is_picked_by_name_never_by_position(tmp_path: Path) -> None:
    from fontTools.ttLib import TTCollection, TTFont

    noto = _noto()
    faces = {font["name"].getDebugName(1): i for i, font in enumerate(TTCollection(str(noto.path), lazy=True).fonts)}
    # only the Japanese and Korean faces: no Simplified Chinese one to pick
    collection = TTCollection()
    for region in ("JP", "KR"):
        collection.fonts.append(TTFont(_subset(noto, faces[noto.name.replace("SC", region)], tmp_path / f"{region}.ttf")))
    other = tmp_path / "jp-kr.ttc"
    collection.save(str(other))
    with pytest.raises(FontMissing, match="no Simplified Chinese face"):
        pick_face(other)
    # a single-face font is used as it is
    sc = pick_face(_subset(noto, faces[noto.name], tmp_path / "sc.ttf"))
    assert (sc.index, sc.name) == (0, noto.name)


def _subset(face: FontFace, index: int, out: Path, text: str = "遗失公告特此声明") -> Path:
    out.write_bytes(notice_font(FontFace(face.path, index, ""), text))
    return out


def test_font_is_configurable_with_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "missing.ttf"))
    with pytest.raises(FontMissing) as info:
        render_notice_pdf(_sample())
    assert FONT_ENV in info.value.detail and info.value.status == 503
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font")
    with pytest.raises(FontMissing):
        render_notice_pdf(_sample(), bogus)
    latin = _subset(_noto(), _noto().index, tmp_path / "latin.ttf", text="Notice")
    with pytest.raises(FontMissing, match="no Chinese glyphs"):
        render_notice_pdf(_sample(), latin)
    monkeypatch.delenv(FONT_ENV)
    face = find_font()
    assert face.path.is_file() and face.name.endswith(" SC")


# ---------------------------------------------------------------------------------------------- verification codes


def test_verification_code_is_an_hmac_of_the_content() -> None:
    from dataclasses import replace

    from actions.filings import LostCopy
    from actions.filings.verification import code_matches, normalize_code, notice_code

    n = _sample()
    code = notice_code(n, "secret-a")
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    assert notice_code(n, "secret-a") == code  # stable
    assert notice_code(n, "secret-b") != code  # only the app's secret makes it
    for change in ({"company_name": "青岛西海岸新区海味餐饮有限公司二店"}, {"license_number": "JY13702110012346"},
                   {"uscc": "91370211MA3C4X5Y7Z"}, {"lost_date": date(2026, 11, 3)}, {"lost_copy": LostCopy.DUPLICATE},
                   {"number": "XHA-YS-2026-0002"}, {"license_type": "出版物经营许可证"}):
        assert notice_code(replace(n, **change), "secret-a") != code, change
    # The links a notice is reached by are not its content.
    assert notice_code(replace(n, url="https://other.example/x", pdf_url="x.pdf"), "secret-a") == code
    assert code_matches(n, code, "secret-a")
    assert code_matches(n, " " + code.lower().replace("-", " ") + " ", "secret-a")  # as typed from paper
    assert code_matches(n, code.replace("0", "O").replace("1", "I"), "secret-a") == code_matches(n, code, "secret-a")
    assert not code_matches(n, code, "secret-b")
    assert not code_matches(n, code[:-1] + ("A" if code[-1] != "A" else "B"), "secret-a")
    assert not code_matches(n, "", "secret-a") and normalize_code("not a code") == ""


def test_pdf_states_the_copy_and_carries_the_code_and_a_qr_code() -> None:
    from dataclasses import replace

    import zxingcpp
    from PIL import Image

    from actions.filings import LostCopy

    n = replace(_sample(), lost_copy=LostCopy.BOTH)
    url = "https://zwfw.example.gov.cn/notices/XHA-YS-2026-0001?code=AAAA-BBBB-CCCC-DDDD"
    data = render_notice_pdf(n, code="AAAA-BBBB-CCCC-DDDD", verify_url=url)
    text = pdf_text(data)
    assert "遗失食品经营许可证正副本" in text and "遗失证照" in text
    assert "核验码：AAAA-BBBB-CCCC-DDDD" in text
    # every character is in the font subset: the extracted text is exactly what was laid out
    assert _words(text) == _words("".join(notice_lines(n, "AAAA-BBBB-CCCC-DDDD", url)))
    page = PdfReader(io.BytesIO(data)).pages[0]
    [image] = page.images
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))]
    assert decoded == [url]
    links = [a.get_object()["/A"]["/URI"] for a in page["/Annots"]]
    assert url in links
    # Without a code (old callers) the PDF has neither code nor QR code.
    plain = render_notice_pdf(_sample())
    assert "核验码" not in pdf_text(plain) and list(PdfReader(io.BytesIO(plain)).pages[0].images) == []
