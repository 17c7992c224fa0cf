"""The Chinese font of the notice PDF: a Simplified Chinese face, cut down to a notice's characters.

Which font: `$LINGLING_NOTICE_FONT`, else the first installed Noto Sans/Serif CJK collection (Debian's
fonts-noto-cjk, which the project's set-up installs). A collection (.ttc/.otc) holds one face per region, and
the same code point is drawn differently in each (JP's first face is not what a reader in Qingdao expects),
so the face is chosen by its name — SC, else CN or GB — never by its position.

Why a TrueType subset: Noto CJK's outlines are CID-keyed CFF. fpdf2 embeds such a font with an embedded CMap
as its /Encoding, which pdftotext reads but pypdf (and other extractors) do not: they see one-byte codes and
return `\\x00遗\\x00失…`. The face's glyphs that a notice uses are therefore converted to quadratic TrueType
outlines (fontTools' cu2qu, within 1/1000 em), so the PDF carries a CIDFontType2 with Identity-H encoding and a
ToUnicode map that every reader understands.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actions.filings.errors import FontMissing

FONT_ENV = "LINGLING_NOTICE_FONT"  # path of a .ttf/.otf/.ttc/.otc with Simplified Chinese glyphs
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch: noto-fonts-cjk
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
INSTALL_HINT = "apt-get install -y fonts-noto-cjk (`make test` / scripts/provision.sh does it as root)"
SIMPLIFIED = ("SC", "CN", "GB")  # region tokens of a face name, in order of preference
OTHER_REGIONS = {"JP", "KR", "K", "TC", "HK", "TW", "MO"}
GB2312_BIT = 18  # OS/2 ulCodePageRange1: "Chinese: Simplified chars — PRC and Singapore"
PROBE = "遗失公告特此声明"  # a font without these glyphs is not a Chinese font


@dataclass(frozen=True)
class FontFace:
    """One face of a font file: `index` is its number in a collection (0 in a single-face file)."""

    path: Path
    index: int
    name: str  # the face's family name, e.g. "Noto Sans CJK SC"


def find_font(explicit: str | os.PathLike[str] | None = None) -> FontFace:
    """The face to use: from `explicit`, else $LINGLING_NOTICE_FONT, else the first installed candidate."""
    configured = explicit or os.environ.get(FONT_ENV)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(f"notice font {path} (from {'argument' if explicit else FONT_ENV}) does not exist")
        return pick_face(path)
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return pick_face(Path(candidate))
    raise FontMissing(f"no Noto CJK font found; {INSTALL_HINT}, or set {FONT_ENV} to a font file with Simplified Chinese glyphs")


def pick_face(path: Path) -> FontFace:
    """The Simplified Chinese face of a font file (of a collection: chosen by name, then by declared code page)."""
    from fontTools.ttLib import TTCollection, TTFont

    try:
        with path.open("rb") as fh:
            is_collection = fh.read(4) == b"ttcf"
        fonts = TTCollection(str(path), lazy=True).fonts if is_collection else [TTFont(str(path), lazy=True)]
        faces = [(i, _family(f), _declares_gb2312(f), _has_glyphs(f, PROBE)) for i, f in enumerate(fonts)]
    except Exception as exc:  # fontTools raises many kinds of errors for unusable files
        raise FontMissing(f"cannot use font {path}: {exc.__class__.__name__}: {exc}") from exc
    usable = [(i, name, gb) for i, name, gb, ok in faces if ok]
    if not usable:
        raise FontMissing(f"font {path} has no Chinese glyphs (faces: {[n for _, n, _, _ in faces]}); {INSTALL_HINT}")
    if not is_collection:
        return FontFace(path, 0, usable[0][1])
    for token in SIMPLIFIED:
        named = [(i, n) for i, n, _ in usable if token in _tokens(n)]
        if named:
            i, name = min(named, key=lambda f: ("Mono" in f[1], f[0]))
            return FontFace(path, i, name)
    declared = [(i, n) for i, n, gb in usable if gb and not _tokens(n) & OTHER_REGIONS]
    if declared:
        return FontFace(path, *declared[0])
    raise FontMissing(f"font collection {path} has no Simplified Chinese face (faces: {[n for _, n, _, _ in faces]}); "
                      f"set {FONT_ENV} to a font with one")


def notice_font(face: FontFace, text: str) -> bytes:
    """A standalone TrueType font (bytes) with the glyphs of `text` (and printable ASCII) from `face`."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(str(face.path), fontNumber=face.index, recalcTimestamp=False)
        options = subset.Options()
        options.layout_features = []  # horizontal text only: no GSUB/GPOS lookups needed
        options.hinting = False
        options.desubroutinize = True
        options.notdef_outline = True
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="".join(sorted(set(text) | {chr(c) for c in range(0x20, 0x7F)})))
        subsetter.subset(font)
        if "glyf" not in font:
            _cff_to_truetype(font)
        out = io.BytesIO()
        font.save(out)
    except Exception as exc:
        raise FontMissing(f"cannot use font {face.path} (face {face.index} {face.name}): {exc.__class__.__name__}: {exc}") from exc
    return out.getvalue()


def _cff_to_truetype(font: Any) -> None:
    """Replace a CFF/CFF2 outline table by quadratic `glyf` outlines (the recipe of fontTools' otf2ttf)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    for tag in ("CFF ", "CFF2", "VORG"):
        if tag in font:
            del font[tag]
    metrics = font["hmtx"].metrics
    for name, glyph in glyphs.items():
        glyph.recalcBounds(glyf)
        metrics[name] = (metrics[name][0], getattr(glyph, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["post"].formatType = 3.0  # no glyph names (CID-keyed faces have none worth keeping)
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def _family(font: Any) -> str:
    names = font["name"]
    return str(names.getDebugName(16) or names.getDebugName(1) or "")


def _tokens(name: str) -> set[str]:
    return set(re.split(r"[\s\-_]+", name))


def _declares_gb2312(font: Any) -> bool:
    os2 = font.get("OS/2")
    return bool(os2 is not None and getattr(os2, "ulCodePageRange1", 0) >> GB2312_BIT & 1)


def _has_glyphs(font: Any, text: str) -> bool:
    cmap = font.getBestCmap() or {}
    return all(ord(ch) in cmap for ch in text)
