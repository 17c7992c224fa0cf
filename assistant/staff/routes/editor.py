"""The edit forms of an entry: one FAQ, the service-level fields, the raw YAML; each saves the draft."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from assistant.staff import forms
from assistant.staff.editing import EditError, validate
from assistant.staff.routes.knowledge import ITEM_ID
from assistant.staff.web import EDITORS, Auth, redirect, render
from knowledge.models import FaqTopic, MaterialForm, SourceKind
from knowledge.versions import load_raw

router = APIRouter(include_in_schema=False)
SLUG = Path(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")
FAQ_FIELDS = ("question", "variants", "answer", "topic", "source_kind", "source_ref")


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _choices() -> dict[str, Any]:
    return {"topics": [(t.value, forms.TOPIC_LABELS[t]) for t in FaqTopic],
            "sources": [(s.value, forms.SOURCE_LABELS[s]) for s in SourceKind],
            "material_forms": [(m.value, forms.FORM_LABELS[m]) for m in MaterialForm]}


def _missing(request: Request, auth: Auth, item_id: str) -> Response:
    return render(request, "admin/error.html", {"title": "没有这个事项", "message": f"事项 {item_id} 不存在。"}, 404, auth=auth)


# ---- one FAQ ----------------------------------------------------------------------------------------------
def _faq_page(request: Request, auth: Auth, item_id: str, slug: str, values: dict[str, Any] | None,
              status: int = 200, message: str = "") -> Response:
    working = auth.staff.knowledge.working(item_id)
    if working is None:
        return _missing(request, auth, item_id)
    raw = load_raw(working.text)
    faq_id = f"{item_id}/{slug}" if slug != "new" else ""
    pos = forms.faq_index(raw, faq_id) if faq_id else None
    _, problems = validate(item_id, working.text)
    errors = forms.field_errors(problems, pos) if pos is not None else {}
    empty = {"id": "", "question": "", "variants": "", "answer": "", "topic": "other", "source_kind": "example", "source_ref": ""}
    values = values or (forms.faq_view(raw, faq_id) if pos is not None else empty)
    ctx = {"w": working, "raw": raw, "faq": values, "slug": slug, "exists": pos is not None, "errors": errors,
           "message": message, **_choices()}
    return render(request, "admin/faq_form.html", ctx, status, auth=auth)


@router.get("/admin/knowledge/{item_id}/faq/{slug}")
def faq_form(request: Request, item_id: str = ITEM_ID, slug: str = SLUG, auth: Auth = EDITORS) -> Response:
    return _faq_page(request, auth, item_id, slug, None)


@router.post("/admin/knowledge/{item_id}/faq/{slug}")
async def faq_save(request: Request, item_id: str = ITEM_ID, slug: str = SLUG, auth: Auth = EDITORS) -> Response:
    form = await _form(request)
    if slug == "new":
        slug = form.get("slug", "").strip()
        if not forms.SLUG.match(slug):
            values = {k: form.get(k, "") for k in FAQ_FIELDS} | {"id": "", "slug": slug}
            return _faq_page(request, auth, item_id, "new", values, 422, "问答编号只能用小写字母、数字和短横线，如 materials-2。")
        working = auth.staff.knowledge.working(item_id)
        if working is not None and forms.faq_index(load_raw(working.text), f"{item_id}/{slug}") is not None:
            values = {k: form.get(k, "") for k in FAQ_FIELDS} | {"id": "", "slug": slug}
            return _faq_page(request, auth, item_id, "new", values, 422, f"问答编号 {item_id}/{slug} 已存在。")
    faq_id = f"{item_id}/{slug}"
    try:
        problems = auth.staff.knowledge.edit(item_id, lambda raw: forms.apply_faq(raw, faq_id, form), auth.user.username, auth.ip)
    except EditError as exc:
        return _faq_page(request, auth, item_id, slug, None, 422, exc.message)
    if problems:
        return _faq_page(request, auth, item_id, slug, None, 422, "草稿已保存，但还有问题，改正后才能发布。")
    return redirect(f"/admin/knowledge/{item_id}", "saved")


@router.post("/admin/knowledge/{item_id}/faq/{slug}/retire")
def faq_retire(request: Request, item_id: str = ITEM_ID, slug: str = SLUG, auth: Auth = EDITORS) -> Response:
    faq_id = f"{item_id}/{slug}"
    try:
        auth.staff.knowledge.edit(item_id, lambda raw: None if forms.remove_faq(raw, faq_id) else None, auth.user.username, auth.ip)
    except EditError as exc:
        return render(request, "admin/error.html", {"title": "不能停用", "message": exc.message}, 422, auth=auth)
    return redirect(f"/admin/knowledge/{item_id}", "saved")


# ---- the service-level fields -----------------------------------------------------------------------------
def _item_page(request: Request, auth: Auth, item_id: str, status: int = 200, message: str = "") -> Response:
    working = auth.staff.knowledge.working(item_id)
    if working is None:
        return _missing(request, auth, item_id)
    raw = load_raw(working.text)
    _, problems = validate(item_id, working.text)
    errors = forms.field_errors([p for p in problems if not p.field.startswith("faqs")])
    ctx = {"w": working, "v": forms.item_view(raw), "errors": errors, "message": message, **_choices()}
    return render(request, "admin/item_form.html", ctx, status, auth=auth)


@router.get("/admin/knowledge/{item_id}/item")
def item_form(request: Request, item_id: str = ITEM_ID, auth: Auth = EDITORS) -> Response:
    return _item_page(request, auth, item_id)


@router.post("/admin/knowledge/{item_id}/item")
async def item_save(request: Request, item_id: str = ITEM_ID, auth: Auth = EDITORS) -> Response:
    form = await _form(request)
    try:
        problems = auth.staff.knowledge.edit(item_id, lambda raw: forms.apply_item(raw, form), auth.user.username, auth.ip)
    except EditError as exc:
        return _item_page(request, auth, item_id, 422, exc.message)
    if [p for p in problems if not p.field.startswith("faqs")]:
        return _item_page(request, auth, item_id, 422, "草稿已保存，但还有问题，改正后才能发布。")
    return redirect(f"/admin/knowledge/{item_id}", "saved")


# ---- raw YAML ---------------------------------------------------------------------------------------------
@router.get("/admin/knowledge/{item_id}/yaml")
def yaml_form(request: Request, item_id: str = ITEM_ID, auth: Auth = EDITORS) -> Response:
    working = auth.staff.knowledge.working(item_id)
    if working is None:
        return _missing(request, auth, item_id)
    _, problems = validate(item_id, working.text)
    return render(request, "admin/yaml_form.html", {"w": working, "text": working.text, "problems": problems,
                                                    "errors": forms.field_errors(problems)}, auth=auth)


@router.post("/admin/knowledge/{item_id}/yaml")
async def yaml_save(request: Request, item_id: str = ITEM_ID, auth: Auth = EDITORS) -> Response:
    form = await _form(request)
    text = form.get("text", "")
    if len(text) > 500_000:
        return render(request, "admin/error.html", {"title": "内容过长", "message": "单个事项的 YAML 不能超过 50 万字符。"}, 413, auth=auth)
    if auth.staff.knowledge.working(item_id) is None:
        return _missing(request, auth, item_id)
    problems = auth.staff.knowledge.save_text(item_id, text, auth.user.username, auth.ip)
    if problems:
        working = auth.staff.knowledge.working(item_id)
        return render(request, "admin/yaml_form.html", {"w": working, "text": text, "problems": problems,
                                                        "errors": forms.field_errors(problems),
                                                        "message": "草稿已保存，但还有问题，改正后才能发布。"}, 422, auth=auth)
    return redirect(f"/admin/knowledge/{item_id}", "saved")
