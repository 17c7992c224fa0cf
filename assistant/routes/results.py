"""The public board of validation results (医疗机构校验结果"一网公示"): GET /validation-results (HTML, or
?format=json as ../shared/contract/API.md says), /validation-results/{number} (one result with its corrections
and its verification code) and /validation-results/{number}/verify?code= (is this code the one we published?).

Results are published when a validation is concluded (actions/filings/results.py); nothing here changes them.
No personal data is shown: the institution's name, 登记号, items, outcome and date only.
"""

from __future__ import annotations

from math import ceil
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from actions.filings.codes import same_code
from actions.filings.results import OUTCOME_LABELS, RESULT_LABELS, result_code
from actions.filings.types import ValidationResultView
from assistant.routes.notices import _html
from assistant.services import services_of

router = APIRouter(tags=["validation-results"])


def public_json(v: ValidationResultView) -> dict[str, object]:
    """The contract's item: {institution_name, registration_number, items [{name, outcome}], result, concluded_on},
    plus the public number, page, revision and corrections (never personal data)."""
    return {**v.content(), "number": v.number, "url": v.url, "revision": v.revision,
            "corrections": [{"revision": c.revision, "at": c.at.isoformat(), "reason": c.reason,
                             "before": c.before, "after": c.after} for c in v.corrections]}


def _labels() -> dict[str, object]:
    return {"result_labels": RESULT_LABELS, "outcome_labels": OUTCOME_LABELS}


@router.get("/validation-results", response_model=None)
async def board(
    request: Request,
    q: str = Query(default="", max_length=100, description="part of the institution's name or 登记号, or a number"),
    page: int = Query(default=1, ge=1, le=100_000),
    per_page: int = Query(default=20, ge=1, le=100),
    format: Literal["html", "json"] = Query(default="html"),
) -> Response:
    """Published validation results, newest first; searchable by name or 登记号."""
    results, total = await run_in_threadpool(services_of(request).results.search, q.strip(), page, per_page)
    pages = max(1, ceil(total / per_page))
    if format == "json":
        return JSONResponse({"items": [public_json(r) for r in results], "total": total, "page": page,
                             "per_page": per_page, "pages": pages})

    def link(p: int) -> str:
        kept = {k: v for k, v in {"q": q.strip(), "per_page": per_page}.items() if v and v != 20}
        return "/validation-results?" + urlencode({**kept, "page": p})

    return _html("results/list.html", {
        "results": results, "total": total, "page": page, "pages": pages, "q": q, **_labels(),
        "prev_url": link(page - 1) if page > 1 else None, "next_url": link(page + 1) if page < pages else None,
    })


@router.get("/validation-results/{number}", response_model=None)
async def result_page(request: Request, number: str) -> Response:
    """One published result with its verification code and every correction (404 page when unknown)."""
    services = services_of(request)
    v = await run_in_threadpool(services.results.get, number)
    if v is None:
        return _html("results/missing.html", {"number": number}, status=404)
    return _html("results/detail.html", {"r": v, "code": result_code(v, services.settings.secret_key), **_labels()})


@router.get("/validation-results/{number}/verify", response_model=None)
async def verify(request: Request, number: str, code: str = Query(default="", max_length=64)) -> Response:
    """Whether `code` is the verification code of this result as published now (or of an earlier version)."""
    services = services_of(request)
    v = await run_in_threadpool(services.results.get, number)
    if v is None:
        return JSONResponse({"number": number, "valid": False, "current": False, "message": "没有这个公示编号。"},
                            status_code=404)
    secret = services.settings.secret_key
    revision = next((rev for rev in range(v.revision, -1, -1) if same_code(code, result_code(v, secret, rev))), None)
    current = revision == v.revision
    message = ("校验码有效，与当前公示内容一致。" if current else
               "校验码对应的是更正前的版本，请以当前公示内容为准。" if revision is not None else
               "校验码不符：该材料不是本中心公示的内容，或已被改动。")
    return JSONResponse({"number": v.number, "valid": revision is not None, "current": current, "revision": revision,
                         "message": message})
