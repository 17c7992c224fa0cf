"""Review of filings: lost-notice queues (approve, reject, publish, reissue), medical validations (per-item
decisions, on-site check, rectification, result) (the registry, reminders, published results and figures: validation.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from actions.filings import FilingError
from actions.filings.states import (
    FIELD_LABELS,
    ITEM_DECISIONS,
    ITEM_FINAL,
    ITEM_LABELS,
    KIND_LABELS,
    PENDING,
    REVIEW,
    STATUS_LABELS,
    TRANSITIONS,
    can_move_item,
    history_note,
)
from assistant.staff.web import REVIEWERS, Auth, redirect, render

router = APIRouter(include_in_schema=False)
FormList = Annotated[list[str] | None, Form()]  # a field sent several times (one per item / checkbox)
FILING_ID = Path(pattern=r"^[A-Za-z]{2}\d{6,20}(-[A-Za-z0-9]{4,10})?$")  # nlu/references.py (and the older form)
QUEUES = (  # (kind, status, label)
    ("lost_notice", "submitted", "遗失公告 · 待审核"),
    ("lost_notice", "approved", "遗失公告 · 待刊登"),
    ("lost_notice", "published", "遗失公告 · 已刊登"),
    ("lost_notice", "rejected", "遗失公告 · 已驳回"),
    ("medical_validation", "", "医疗机构校验 · 全部"),
)
ACTORS = {"applicant": "申请人", "cli": "命令行"}  # actors recorded by code, as staff read them
ACTIONS = {"approve": "filing_approve", "reject": "filing_reject", "publish": "filing_publish",
           "reissue": "filing_reissue", "decide": "filing_decide", "finish": "filing_finish",
           "decide-items": "filing_decide_items", "pass-all": "filing_pass_all"}


@router.get("/admin/filings")
def queue(request: Request, auth: Auth = REVIEWERS, kind: str = Query(default="lost_notice", max_length=30),
          status: str = Query(default="submitted", max_length=30)) -> Response:
    store = auth.staff.filings
    rows = store.list_filings(kind or None, status or None, limit=200)
    return render(request, "admin/filings.html", {
        "rows": rows, "kind": kind, "status": status, "queues": QUEUES, "kinds": KIND_LABELS, "today": auth.staff.today(),
    }, auth=auth)


def _detail(request: Request, auth: Auth, filing_id: str, error: str = "", status: int = 200) -> Response:
    store = auth.staff.filings
    view = store.get(filing_id)
    if view is None:
        return render(request, "admin/error.html", {"title": "没有这个办件", "message": f"办件 {filing_id} 不存在。"}, 404, auth=auth)
    moves = sorted(TRANSITIONS.get(view.kind, {}).get(view.status, frozenset()))
    history = [(t, history_note(t.note)) for t in store.transitions(view.filing_id)]
    ctx: dict[str, Any] = {
        "f": view, "fields": [(FIELD_LABELS.get(k, k), v) for k, v in view.data.items() if k != "items"],
        "fix_choices": [(k, FIELD_LABELS.get(k, k)) for k in view.data if k != "items"],
        "history": history, "actors": ACTORS, "moves": moves, "labels": STATUS_LABELS, "field_labels": FIELD_LABELS,
        "item_labels": ITEM_LABELS, "decisions": ITEM_DECISIONS, "kinds": KIND_LABELS, "error": error,
        "overdue": view.overdue(auth.staff.today()),
        "open_items": [i for i, state in view.items.items() if state not in ITEM_FINAL],
        "item_options": {i: _options(state) for i, state in view.items.items()},
    }
    return render(request, "admin/filing.html", ctx, status, auth=auth)


def _options(state: str) -> list[str]:
    """The decisions an item in `state` may get in one step (a fresh item is put under review on the way)."""
    return [d for d in ITEM_DECISIONS if can_move_item(state, d) or (state == PENDING and d != REVIEW
                                                                     and can_move_item(REVIEW, d))]


@router.get("/admin/filings/{filing_id}")
def detail(request: Request, filing_id: str = FILING_ID, auth: Auth = REVIEWERS) -> Response:
    return _detail(request, auth, filing_id.upper())


@router.post("/admin/filings/{filing_id}/decide-items")
def decide_items(request: Request, filing_id: str = FILING_ID, auth: Auth = REVIEWERS,
                 item: FormList = None, decision: FormList = None, note: FormList = None) -> Response:
    """Per-item decisions of one form, in one transaction; an item left at 不变 is not touched."""
    store = auth.staff.filings
    filing_id = filing_id.upper()
    before = store.get(filing_id)
    items, decisions = item or [], decision or []
    notes = [*(note or []), *[""] * len(items)]
    chosen = [(i, d, notes[k][:500]) for k, (i, d) in enumerate(zip(items, decisions, strict=False)) if d.strip()]
    if not chosen:
        return _detail(request, auth, filing_id, "请至少为一个事项选择结论。", 422)
    try:
        view = store.decide_items(filing_id, chosen, auth.user.username)
    except FilingError as exc:
        return _detail(request, auth, filing_id, exc.message, exc.status)
    auth.record(ACTIONS["decide-items"], filing_id, {"status": before.status, "items": before.items} if before else None,
                {"status": view.status, "items": view.items, "decisions": [list(c) for c in chosen]})
    return redirect(f"/admin/filings/{filing_id}", "filing")


@router.post("/admin/filings/{filing_id}/pass-all")
def pass_all(request: Request, filing_id: str = FILING_ID, auth: Auth = REVIEWERS,
             note: str = Form(default="", max_length=500)) -> Response:
    """全部通过: every item without a final decision passes, and the validation is finished."""
    store = auth.staff.filings
    filing_id = filing_id.upper()
    before = store.get(filing_id)
    try:
        view = store.pass_all(filing_id, auth.user.username, note.strip())
    except FilingError as exc:
        return _detail(request, auth, filing_id, exc.message, exc.status)
    auth.record(ACTIONS["pass-all"], filing_id, {"status": before.status, "items": before.items} if before else None,
                {"status": view.status, "items": view.items})
    return redirect(f"/admin/filings/{filing_id}", "filing")


@router.post("/admin/filings/{filing_id}/{action}")
def act(request: Request, filing_id: str = FILING_ID, action: str = Path(pattern="^(approve|reject|publish|reissue|decide|finish)$"),
        auth: Auth = REVIEWERS, reason: str = Form(default="", max_length=1000), item: str = Form(default="", max_length=100),
        decision: str = Form(default="", max_length=30), note: str = Form(default="", max_length=500),
        fix_fields: FormList = None) -> Response:
    store = auth.staff.filings
    filing_id = filing_id.upper()
    before = store.get(filing_id)
    actor = auth.user.username
    try:
        if action == "approve":
            view = store.approve(filing_id, actor)
        elif action == "reject":
            if not reason.strip():
                return _detail(request, auth, filing_id, "驳回必须填写理由，申请人会看到这段话。", 422)
            view = store.reject(filing_id, actor, reason.strip(), [f for f in fix_fields or [] if f][:20])
        elif action == "publish":
            view = store.publish(filing_id, actor)
        elif action == "reissue":
            view = store.reissue(filing_id, actor)
        elif action == "decide":
            view = store.decide_item(filing_id, item, decision, actor, note.strip())
        else:
            view = store.finish_validation(filing_id, actor)
    except FilingError as exc:
        return _detail(request, auth, filing_id, exc.message, exc.status)
    after: dict[str, Any] = {"status": view.status, "items": view.items}
    if action == "reject":
        after["reason"] = view.reason
        after["fix_fields"] = list(view.fix_fields)
    if action == "decide":
        after.update(item=item, decision=decision, note=note.strip())
    if view.notice_number:
        after["notice_number"] = view.notice_number
    auth.record(ACTIONS[action], filing_id, {"status": before.status, "items": before.items} if before else None, after)
    return redirect(f"/admin/filings/{filing_id}", "filing")
