"""The hit test page and API, and the saved regression questions."""

from __future__ import annotations

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from assistant.staff.hittest import hit_test
from assistant.staff.web import EDITORS, Auth, redirect, render, secure_headers
from nlu.types import Focus

router = APIRouter(include_in_schema=False)


class HitTestRequest(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    focus: str | None = Field(default=None, max_length=400)  # the topic in focus: a service id or a FAQ id


@router.get("/admin/hittest")
def hittest_page(request: Request, auth: Auth = EDITORS) -> Response:
    services = [(i.id, i.name) for i in auth.staff.live.current.kb.items.values()]
    return render(request, "admin/hittest.html", {"q": request.query_params.get("q", "")[:200], "services": services},
                  auth=auth)


@router.post("/admin/api/hittest")
async def hittest_api(body: HitTestRequest, auth: Auth = EDITORS) -> Response:
    if not body.text.strip():
        return secure_headers(JSONResponse({"error": "empty", "message": "请输入要测试的问题。"}, status_code=422))
    focus = None
    if body.focus and body.focus.strip():
        fid = body.focus.strip()
        focus = Focus(fid.split("/", 1)[0], fid if "/" in fid else None)
        if focus.service_id not in auth.staff.live.current.kb.items:
            return secure_headers(JSONResponse({"error": "focus", "message": f"没有这个事项：{focus.service_id}"},
                                               status_code=422))
    result = await hit_test(auth.staff, body.text, focus)
    return secure_headers(JSONResponse(result))


@router.get("/admin/tests")
def tests_page(request: Request, auth: Auth = EDITORS) -> Response:
    questions = auth.staff.questions.all()
    faq_ids = [f.id for _, f in auth.staff.live.current.kb.faqs]
    return render(request, "admin/tests.html", {"questions": questions, "faq_ids": faq_ids}, auth=auth)


@router.post("/admin/tests")
def tests_add(auth: Auth = EDITORS, text: str = Form(min_length=1, max_length=500),
              expected_faq_id: str = Form(default="", max_length=200)) -> Response:
    expected = expected_faq_id.strip() or None
    q = auth.staff.questions.add(text, expected, auth.user.username)
    auth.record("test_question_add", q.text, None, {"expected": expected})
    return redirect("/admin/tests", "question")


@router.post("/admin/tests/{question_id}/delete")
def tests_remove(question_id: int = Path(ge=1), auth: Auth = EDITORS) -> Response:
    before = next((q for q in auth.staff.questions.all() if q.id == question_id), None)
    if auth.staff.questions.remove(question_id) and before is not None:
        auth.record("test_question_remove", before.text, {"expected": before.expected_faq_id}, None)
    return redirect("/admin/tests", "removed")
