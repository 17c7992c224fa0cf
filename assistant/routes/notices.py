"""The public notice board: GET /notices (HTML or ?format=json), /notices/{number} (?code= checks a verification
code), /notices/{number}/print, /notices/{number}.pdf (a download) and /notices/verify (number + code typed in).

The filing store is the app's (`services_of(request).filings`); its errors become answers in
assistant/http_errors.py. Published notices are public and permanent: there is no path that deletes or
changes them.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from functools import lru_cache
from math import ceil
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from actions.filings import NoticeNotFound, NoticeView
from actions.filings.notices import normalize_number
from actions.filings.pdf import cn_date, notice_body, notice_fields
from actions.filings.verification import code_matches, normalize_code, notice_code, verify_url
from assistant.routes.chat import public_base, qr_svg
from assistant.services import services_of

log = logging.getLogger(__name__)
router = APIRouter(tags=["notices"])
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,  # every user text is escaped, whatever the template's extension
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn_date"] = cn_date
    return env


def _html(name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return HTMLResponse(_env().get_template(name).render(**context), status_code=status)


def _license_types(request: Request) -> tuple[list[str], dict[str, str], list[tuple[str, tuple[str, ...]]]]:
    """Canonical license names of the knowledge base, every alias -> canonical name, and (name, aliases) pairs."""
    kinds = services_of(request).knowledge.current.kb.license_types()
    names = list(dict.fromkeys(k.name for k in kinds))
    canon = {alias: k.name for k in kinds for alias in (k.name, *k.aliases)}
    return names, canon, [(k.name, tuple(k.aliases)) for k in kinds]


@router.get("/notices/assets/notices.css", include_in_schema=False)
def stylesheet() -> Response:
    css = (TEMPLATES_DIR / "notices" / "notices.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/notices", response_model=None)
async def board(
    request: Request,
    q: str = Query(default="", max_length=100, description="company name (any part, traditional characters too), "
                   "notice number, license number or USCC"),
    license_type: str = Query(default="", max_length=100, description="license type (name or alias)"),
    number: str = Query(default="", max_length=40, description="part of the notice number"),
    page: int = Query(default=1, ge=1, le=100_000),
    per_page: int = Query(default=20, ge=1, le=100),
    format: Literal["html", "json"] = Query(default="html"),
) -> Response:
    """Published lost-license notices, newest first; searchable and paginated."""
    services = services_of(request)
    names, canon, pairs = _license_types(request)
    license_type = canon.get(license_type.strip(), license_type.strip())
    notices, total = await services.blocking(services.filings.search_notices, q, license_type, number, page, per_page,
                                             pairs)
    pages = max(1, ceil(total / per_page))
    if format == "json":
        return JSONResponse({"items": [n.to_json() for n in notices], "total": total, "page": page,
                             "per_page": per_page, "pages": pages})
    params = {"q": q, "license_type": license_type, "number": number, "per_page": per_page}

    def link(p: int) -> str:
        kept = {k: v for k, v in params.items() if v and not (k == "per_page" and v == 20)}
        return "/notices?" + urlencode({**kept, "page": p})

    return _html("notices/list.html", {
        "notices": notices, "total": total, "page": page, "pages": pages, "q": q, "number": number,
        "license_type": license_type, "license_types": names,
        "prev_url": link(page - 1) if page > 1 else None,
        "next_url": link(page + 1) if page < pages else None,
    })


async def _notice(request: Request, number: str) -> NoticeView | None:
    """The published notice with this number (read on the blocking pool, off the event loop)."""
    services = services_of(request)
    notice: NoticeView | None = await services.blocking(services.filings.notice, number)
    return notice


@dataclass(frozen=True)
class Verification:
    """How a notice is verified: its code, the address its QR code holds, and that QR code (SVG data URI)."""

    code: str
    url: str
    qr: str


def _absolute(request: Request, url: str) -> str:
    return url if url.startswith(("http://", "https://")) else public_base(request) + url


def _verification(request: Request, notice: NoticeView) -> Verification:
    code = notice_code(notice, services_of(request).settings.secret_key)
    url = verify_url(_absolute(request, notice.url), code)
    svg = qr_svg(url, title="扫码核验遗失公告")
    return Verification(code, url, "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"))


def _download_name(notice: NoticeView) -> str:
    """Content-Disposition of the PDF: a download named 遗失公告-<number>.pdf (ASCII fallback <number>.pdf)."""
    return (f"attachment; filename=\"{notice.number}.pdf\"; "
            f"filename*=UTF-8''{quote('遗失公告-' + notice.number + '.pdf')}")


@router.get("/notices/verify", response_model=None)
async def verify(
    request: Request,
    number: str = Query(default="", max_length=40, description="the notice number printed on the notice"),
    code: str = Query(default="", max_length=40, description="the verification code printed on the notice"),
) -> Response:
    """Check a notice by its number and verification code (typed in from paper); a known number goes on to the
    notice's page, which shows the result."""
    typed_number, typed_code = normalize_number(number), normalize_code(code)
    context: dict[str, Any] = {"number": number.strip(), "code": code.strip(), "problem": ""}
    status = 200
    if number or code:
        if not typed_number or not code.strip():
            context["problem"], status = "请同时填写公告编号和核验码（均印在公告上）。", 422
        elif not typed_code:
            context["problem"], status = "核验码应为16位字母和数字（如 7K3Q-M9XD-2TPA-HV4C），请核对后重新输入。", 422
        else:
            notice = await _notice(request, typed_number)
            if notice is not None:
                return RedirectResponse(f"/notices/{quote(notice.number)}?code={quote(typed_code)}", status_code=303)
            context["problem"], status = f"没有编号为“{number.strip()}”的遗失公告，核验未通过。请核对公告编号。", 404
    return _html("notices/verify.html", context, status=status)


@router.get("/notices/{number}.pdf", response_model=None)
async def notice_pdf(request: Request, number: str) -> Response:
    """The printable notice (PDF, Chinese text embedded, verification code and QR code), as a download."""
    services = services_of(request)
    notice = await _notice(request, number)
    if notice is None:
        raise NoticeNotFound(number)
    check = _verification(request, notice)
    data = await services.pdfs.get(notice, check.code, check.url)  # rendered once, cached on disk; 503 when too many wait
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": _download_name(notice),
        "Cache-Control": "public, max-age=86400",
    })


@router.get("/notices/{number}/print", response_model=None)
async def notice_print(request: Request, number: str) -> Response:
    """The notice on one A4 sheet (print-friendly page: no site header, a 打印 button on screen only)."""
    notice = await _notice(request, number)
    if notice is None:
        return _html("notices/missing.html", {"number": number}, status=404)
    return _html("notices/print.html", {"n": notice, "body": notice_body(notice), "fields": notice_fields(notice),
                                        "check": _verification(request, notice)})


@router.get("/notices/{number}", response_model=None)
async def notice_page(request: Request, number: str,
                      code: str = Query(default="", max_length=40, description="a verification code to check")) -> Response:
    """One notice as a web page (404 page when the number is unknown); with `?code=` (the QR code of the PDF)
    it says whether that code is the notice's: authentic or not."""
    notice = await _notice(request, number)
    if notice is None:
        return _html("notices/missing.html", {"number": number, "checked": bool(code.strip())}, status=404)
    checked: bool | None = None
    if code.strip():
        checked = code_matches(notice, code, services_of(request).settings.secret_key)
    return _html("notices/detail.html", {"n": notice, "body": notice_body(notice), "fields": notice_fields(notice),
                                         "check": _verification(request, notice), "checked": checked,
                                         "typed_code": code.strip()})
