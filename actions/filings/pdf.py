"""The printable PDF of a published notice (fpdf2, Simplified Chinese font: actions/filings/cjkfont.py), and the
notice's wording."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from functools import lru_cache
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
    """The notice's sentence, the same on the web page and in the PDF."""
    return (
        f"{n.company_name}（统一社会信用代码：{n.uscc}）于{cn_date(n.lost_date)}遗失{n.license_type}，"
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
        ("遗失日期", cn_date(n.lost_date)),
        ("公告日期", cn_date(n.published_on)),
    ]


def render_notice_pdf(notice: NoticeView, font_path: str | os.PathLike[str] | None = None) -> bytes:
    """The notice as a one-page A4 PDF with its Chinese text embedded (font subset)."""
    return _render(notice, find_font(font_path))


def notice_lines(n: NoticeView) -> list[str]:
    """Every text the PDF shows, in reading order (the font is cut down to their characters)."""
    lines = [TITLE, n.number, "　　" + notice_body(n)]
    lines += [part for field in notice_fields(n) for part in field]
    lines += [ISSUER, cn_date(n.published_on)]
    if n.url.startswith(("http://", "https://")):
        lines.append(verify_line(n))
    return lines


def verify_line(n: NoticeView) -> str:
    """The closing line naming where the notice can be checked online."""
    return f"本公告长期有效，可在 {n.url} 查询核验。"


@lru_cache(maxsize=256)
def _render(notice: NoticeView, face: FontFace) -> bytes:
    # Published notices never change, so their PDFs are cached per (notice, font face).
    font = notice_font(face, "".join(notice_lines(notice)))
    with tempfile.TemporaryDirectory(prefix="lingling-font-") as tmp:  # fpdf2 reads fonts from files only
        path = Path(tmp) / "notice.ttf"
        path.write_bytes(font)
        return _layout(notice, path)


def _layout(notice: NoticeView, font: Path) -> bytes:
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
    if notice.url.startswith(("http://", "https://")):
        pdf.ln(6)
        pdf.set_font("cjk", size=9)
        pdf.multi_cell(0, 6, verify_line(notice), wrapmode=WrapMode.CHAR)
    return bytes(pdf.output())
