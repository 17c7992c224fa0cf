"""The public notice board: GET /notices (HTML or ?format=json), /notices/{number}, /notices/{number}.pdf.

The filing store is the app's (`services_of(request).filings`); its errors become answers in
assistant/http_errors.py. Published notices are public and permanent: there is no path that deletes or
changes them.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from math import ceil
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from actions.filings import FilingStore, NoticeNotFound, NoticeView
from actions.filings.pdf import cn_date, notice_body, notice_fields, render_notice_pdf
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


def _store(request: Request) -> FilingStore:
    return services_of(request).filings


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
    store = _store(request)
    names, canon, pairs = _license_types(request)
    license_type = canon.get(license_type.strip(), license_type.strip())
    notices, total = await run_in_threadpool(store.search_notices, q, license_type, number, page, per_page, pairs)
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


@router.get("/notices/{number}.pdf", response_model=None)
async def notice_pdf(request: Request, number: str) -> Response:
    """The printable notice (PDF, Chinese text embedded)."""
    notice = await run_in_threadpool(_store(request).notice, number)
    if notice is None:
        raise NoticeNotFound(number)
    data = await run_in_threadpool(render_notice_pdf, notice)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f"inline; filename=\"{notice.number}.pdf\"; filename*=UTF-8''{quote(notice.number)}.pdf",
        "Cache-Control": "public, max-age=86400",
    })


@router.get("/notices/{number}", response_model=None)
async def notice_page(request: Request, number: str) -> Response:
    """One notice as a web page (404 page when the number is unknown)."""
    notice: NoticeView | None = await run_in_threadpool(_store(request).notice, number)
    if notice is None:
        return _html("notices/missing.html", {"number": number}, status=404)
    return _html("notices/detail.html", {"n": notice, "body": notice_body(notice), "fields": notice_fields(notice)})
