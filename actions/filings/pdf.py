"""The printable PDF of a published notice (fpdf2 with a CJK font), and the notice's wording."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from actions.filings.errors import FontMissing
from actions.filings.types import NoticeView

FONT_ENV = "LINGLING_NOTICE_FONT"  # path of a .ttf/.otf/.ttc with Chinese glyphs
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
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


def find_font(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The CJK font to use: `explicit`, else $LINGLING_NOTICE_FONT, else the first installed candidate."""
    configured = explicit or os.environ.get(FONT_ENV)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(f"notice font {path} (from {'argument' if explicit else FONT_ENV}) does not exist")
        return path
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing(
        f"no CJK font found; install fonts-wqy-microhei (apt-get install -y fonts-wqy-microhei) "
        f"or set {FONT_ENV} to a .ttf/.ttc file with Chinese glyphs"
    )


def render_notice_pdf(notice: NoticeView, font_path: str | os.PathLike[str] | None = None) -> bytes:
    """The notice as a one-page A4 PDF with its Chinese text embedded (font subset)."""
    return _render(notice, str(find_font(font_path)))


def _render(notice: NoticeView, font: str) -> bytes:
    # (a server keeps what this makes: actions/filings/pdfcache.py)
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    pdf = FPDF(format="A4")
    pdf.set_title(f"遗失公告 {notice.number}")
    pdf.set_creator("灵灵 · " + ISSUER)
    pdf.set_lang("zh-CN")
    pdf.set_margins(22, 24, 22)
    pdf.add_page()
    try:
        pdf.add_font("cjk", fname=font)
    except Exception as exc:  # fpdf2/fontTools raise many kinds of errors for unusable files
        raise FontMissing(f"cannot use font {font}: {exc}") from exc
    pdf.set_font("cjk", size=22)
    pdf.cell(0, 16, "遗失公告", align="C", new_x="LMARGIN", new_y="NEXT")
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
        pdf.multi_cell(0, 6, f"本公告长期有效，可在 {notice.url} 查询核验。", wrapmode=WrapMode.CHAR)
    return bytes(pdf.output())
