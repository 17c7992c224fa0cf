"""The printable PDF of a published notice (fpdf2, Simplified Chinese font: actions/filings/cjkfont.py), and the
notice's wording."""

from __future__ import annotations

import io
import os
import tempfile
from datetime import date
from pathlib import Path

from actions.filings.cjkfont import FontFace, find_font, notice_font
from actions.filings.errors import FontMissing
from actions.filings.types import NoticeView

TITLE = "遗失公告"
ISSUER = "青岛西海岸新区政务服务中心"


def cn_date(d: date) -> str:
    """2026年11月22日."""
    return f"{d.year}年{d.month}月{d.day}日"


def notice_body(n: NoticeView) -> str:
    """The notice's sentence, the same on the web page and in the PDF (正本 / 副本 / 正副本 when known)."""
    copy = n.lost_copy.value if n.lost_copy else ""
    return (
        f"{n.company_name}（统一社会信用代码：{n.uscc}）于{cn_date(n.lost_date)}遗失{n.license_type}{copy}，"
        f"证照编号：{n.license_number}，现声明作废。特此公告。"
    )


def notice_fields(n: NoticeView) -> list[tuple[str, str]]:
    """Label/value lines of a notice."""
    return [
        ("公告编号", n.number),
        ("企业名称", n.company_name),
        ("统一社会信用代码", n.uscc),
        ("证照名称", n.license_type),
        ("证照编号", n.license_number),
        *([("遗失证照", n.lost_copy.value)] if n.lost_copy else []),
        ("遗失日期", cn_date(n.lost_date)),
        ("公告日期", cn_date(n.published_on)),
    ]


def render_notice_pdf(notice: NoticeView, font_path: str | os.PathLike[str] | None = None, *, code: str = "",
                      verify_url: str = "") -> bytes:
    """The notice as a one-page A4 PDF with its Chinese text embedded (font subset); with its verification
    `code` and, when `verify_url` is an absolute address, a QR code (and link) of it."""
    return _render(notice, find_font(font_path), code, verify_url)


def qr_png(data: str) -> bytes:
    """A PNG QR code of `data` (medium error correction, a quiet zone of four modules)."""
    import segno

    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="png", scale=10, border=4)
    return buf.getvalue()


def _scannable(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def verification_lines(code: str, verify_url: str) -> list[str]:
    """The verification box's texts: the code, how to check, the address the QR code holds."""
    url = verify_url if _scannable(verify_url) else ""
    how = "用手机扫描左侧二维码，打开本公告的公示页面，页面会显示核验结果；" if url else ""
    how += "也可在政务服务中心遗失公告栏输入公告编号和核验码核验。内容与公示页面不一致的，以公示页面为准。"
    return [*([f"核验码：{code}"] if code else []), how, *([url] if url else [])]


def notice_lines(n: NoticeView, code: str = "", verify_url: str = "") -> list[str]:
    """Every text the PDF shows, in reading order (the font is cut down to their characters)."""
    lines = [TITLE, n.number, "　　" + notice_body(n)]
    lines += [part for field in notice_fields(n) for part in field]
    lines += [ISSUER, cn_date(n.published_on)]
    if code or _scannable(verify_url):
        lines += verification_lines(code, verify_url)
    elif _scannable(n.url):
        lines.append(verify_line(n))
    return lines


def verify_line(n: NoticeView) -> str:
    """The closing line naming where the notice can be checked online (a PDF without verification code)."""
    return f"本公告长期有效，可在 {n.url} 查询核验。"


def _render(notice: NoticeView, face: FontFace, code: str, verify_url: str) -> bytes:
    # (a server keeps what this makes: actions/filings/pdfcache.py)
    font = notice_font(face, "".join(notice_lines(notice, code, verify_url)))
    with tempfile.TemporaryDirectory(prefix="lingling-font-") as tmp:  # fpdf2 reads fonts from files only
        path = Path(tmp) / "notice.ttf"
        path.write_bytes(font)
        return _layout(notice, path, code, verify_url)


def _layout(notice: NoticeView, font: Path, code: str, verify_url: str) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    pdf = FPDF(format="A4")
    pdf.set_title(f"{TITLE} {notice.number}")
    pdf.set_creator("灵灵 · " + ISSUER)
    pdf.set_lang("zh-CN")
    pdf.set_margins(22, 24, 22)
    pdf.add_page()
    try:
        pdf.add_font("cjk", fname=font)
    except Exception as exc:  # fpdf2/fontTools raise many kinds of errors for unusable files
        raise FontMissing(f"cannot use the notice font: {exc}") from exc
    pdf.set_font("cjk", size=22)
    pdf.cell(0, 16, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 8, notice.number, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("cjk", size=13)
    pdf.multi_cell(0, 9, "　　" + notice_body(notice), wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("cjk", size=11)
    with pdf.table(col_widths=(1, 3), text_align="LEFT", first_row_as_headings=False, wrapmode=WrapMode.CHAR,
                   line_height=8) as table:
        for label, value in notice_fields(notice):
            row = table.row()
            row.cell(label)
            row.cell(value)
    pdf.ln(12)
    pdf.cell(0, 8, ISSUER, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, cn_date(notice.published_on), align="R", new_x="LMARGIN", new_y="NEXT")
    scannable = _scannable(verify_url)
    if code or scannable:
        _verification(pdf, code, verify_url if scannable else "")
    elif _scannable(notice.url):
        pdf.ln(6)
        pdf.set_font("cjk", size=9)
        pdf.multi_cell(0, 6, verify_line(notice), wrapmode=WrapMode.CHAR)
    return bytes(pdf.output())


def _verification(pdf: object, code: str, url: str) -> None:
    """The verification box at the foot of the page: QR code of the notice's page, the code, how to check."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    assert isinstance(pdf, FPDF)
    size = 34.0  # mm
    top = max(pdf.get_y() + 10, pdf.h - pdf.b_margin - size - 4)
    left = pdf.l_margin
    pdf.set_draw_color(150, 160, 170)
    pdf.line(left, top - 4, pdf.w - pdf.r_margin, top - 4)
    text_x = left
    if url:
        pdf.image(io.BytesIO(qr_png(url)), x=left, y=top, w=size, h=size, link=url, alt_text="核验二维码")
        text_x = left + size + 6
    pdf.set_xy(text_x, top + 2)
    lines = verification_lines(code, url)
    if code:
        pdf.set_font("cjk", size=12)
        pdf.cell(0, 8, lines.pop(0), new_x="LEFT", new_y="NEXT")
    pdf.set_font("cjk", size=9.5)
    pdf.multi_cell(pdf.w - pdf.r_margin - text_x, 6, lines.pop(0), wrapmode=WrapMode.CHAR, new_x="LEFT", new_y="NEXT")
    if url:
        pdf.set_text_color(40, 60, 90)
        pdf.multi_cell(pdf.w - pdf.r_margin - text_x, 5, url, wrapmode=WrapMode.CHAR, link=url)
        pdf.set_text_color(0, 0, 0)
