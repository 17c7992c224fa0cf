"""`lingling filings ...` and `lingling reminders`: staff tools on the filing store."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from actions.filings import FilingError, FilingStore, FilingView
from actions.filings.states import ITEM_DECISIONS, ITEM_LABELS, KIND_LABELS, KINDS
from actions.settings import StateSettings
from knowledge import clock


def _store(args: argparse.Namespace) -> FilingStore:
    store = FilingStore(StateSettings.from_args(args).db_url)
    store.migrate()
    return store


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _view_dict(v: FilingView) -> dict[str, Any]:
    return {
        "filing_id": v.filing_id, "kind": v.kind, "status": v.status, "status_label": v.status_label,
        "submitted_at": v.submitted_at.isoformat(), "applicant": v.applicant, "contact_phone": v.contact_phone,
        "data": v.data, "notice_number": v.notice_number,
        "published_on": v.published_on.isoformat() if v.published_on else None,
        "items": v.items, "due_date": v.due_date.isoformat() if v.due_date else None, "reason": v.reason,
        "fix_fields": list(v.fix_fields), "item_notes": v.item_notes, "resubmission_of": v.resubmission_of,
        "resubmitted_as": v.resubmitted_as,
        "history": [{"from": f, "to": t, "actor": a, "at": at.isoformat()} for f, t, a, at in v.history],
    }


def _print_view(v: FilingView, as_json: bool) -> None:
    if as_json:
        print(_json(_view_dict(v)))
        return
    print(f"{v.filing_id}  {KIND_LABELS.get(v.kind, v.kind)}  {v.status_label}")
    print(f"  申请人：{v.applicant}  联系电话：{v.contact_phone}  提交时间：{v.submitted_at:%Y-%m-%d %H:%M}")
    if v.due_date:
        print(f"  承诺办结日期：{v.due_date}")
    if v.notice_number:
        print(f"  公告编号：{v.notice_number}  公告日期：{v.published_on}")
    for key, value in v.data.items():
        if key != "items":
            print(f"  {key}: {value}")
    for item, state in v.items.items():
        print(f"  事项 {item}: {ITEM_LABELS.get(state, state)} ({state})")
    for f, t, actor, at in v.history:
        print(f"  {at:%Y-%m-%d %H:%M:%S}  {f or '-'} -> {t}  by {actor}")


def _run(action: Callable[[FilingStore, argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            store = _store(args)
        except FilingError as exc:
            print(f"错误：{exc.message} ({exc.detail})", file=sys.stderr)
            return 1
        try:
            return action(store, args)
        except FilingError as exc:
            print(f"错误：{exc.message} ({exc.code}: {exc.detail})", file=sys.stderr)
            return 1
        finally:
            store.close()

    return run


def _list(store: FilingStore, args: argparse.Namespace) -> int:
    views = store.list_filings(kind=args.kind, status=args.status, limit=args.limit, offset=args.offset)
    for v in views:
        if args.json:
            print(_json(_view_dict(v)))
        else:
            print(f"{v.filing_id}\t{v.status}\t{v.status_label}\t{v.applicant}\t{v.submitted_at:%Y-%m-%d %H:%M}")
    return 0


def _show(store: FilingStore, args: argparse.Namespace) -> int:
    view = store.get(args.id)
    if view is None:
        print(f"错误：没有找到办件 {args.id}", file=sys.stderr)
        return 1
    _print_view(view, args.json)
    return 0


def _transition(name: str) -> Callable[[FilingStore, argparse.Namespace], int]:
    def act(store: FilingStore, args: argparse.Namespace) -> int:
        if name == "reject":
            view = store.reject(args.id, args.actor, args.reason, args.fix or ())
        elif name == "item":
            view = store.decide_item(args.id, args.item, args.decision, args.actor, args.note)
        elif name == "pass-all":
            view = store.pass_all(args.id, args.actor, args.note)
        else:
            view = getattr(store, {"finish": "finish_validation"}.get(name, name))(args.id, args.actor)
        _print_view(view, args.json)
        return 0

    return act


def _reminders(store: FilingStore, args: argparse.Namespace) -> int:
    from actions.reminders.service import ReminderService

    service = ReminderService(store)
    try:
        today = date.fromisoformat(args.today) if args.today else clock.today()
        if args.dry_run:
            for r in service.due(today):
                print(f"{r.due_date}\t{r.registration_number}\t{r.institution_name}\tdry run")
            return 0
        report = service.run(today)
        for r in report.recorded or []:
            print(f"{r.due_date}\t{r.registration_number}\t{r.institution_name}\tnew")
        done = "already ran today" if report.recorded is None else f"{len(report.recorded)} new reminder(s)"
        sent = ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items())) or "nothing due"
        print(f"reminders {report.day}: {done}; deliveries: {sent}; channels: {', '.join(service.cfg.channels())}",
              file=sys.stderr)
        return 0
    finally:
        service.close()


def register_cli(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `filings` and `reminders` to the `lingling` command."""
    filings = sub.add_parser("filings", help="staff tools for filings (list, show, approve, publish ...)")
    fsub = filings.add_subparsers(dest="filings_cmd", required=True)

    def add(name: str, help_text: str, func: Callable[[FilingStore, argparse.Namespace], int],
            with_id: bool = True, actor: bool = True) -> argparse.ArgumentParser:
        p = fsub.add_parser(name, help=help_text)
        if with_id:
            p.add_argument("id", help="filing reference, e.g. LN20261122-7K3QX9")
        if actor:
            p.add_argument("--actor", default="cli", help="who does it (recorded in the history)")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(func=_run(func))
        return p

    p = add("list", "list filings, newest first", _list, with_id=False, actor=False)
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--status")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--offset", type=int, default=0)
    add("show", "show one filing with its history", _show, actor=False)
    add("approve", "lost notice: submitted -> approved", _transition("approve"))
    p = add("reject", "lost notice: -> rejected", _transition("reject"))
    p.add_argument("--reason", required=True)
    p.add_argument("--fix", action="append", metavar="FIELD",
                   help="a field the applicant must correct (repeatable), e.g. --fix uscc; the resubmission asks it again")
    add("publish", "lost notice: approved -> published (assigns the notice number)", _transition("publish"))
    add("reissue", "lost notice: published -> reissued", _transition("reissue"))
    p = add("item", "validation: decide one item", _transition("item"))
    p.add_argument("item", help="validation item name")
    p.add_argument("--decision", required=True, choices=ITEM_DECISIONS)
    p.add_argument("--note", default="")
    add("finish", "validation: passed / not passed from the item decisions", _transition("finish"))
    add("pass-all", "validation: every open item passed, then finished", _transition("pass-all")).add_argument(
        "--note", default="")

    p = sub.add_parser("reminders", help="the daily pass: record validation expiry reminders (once per institution and "
                                         "due date) and deliver what is due (e-mail, SMS; see docs/operations.md)")
    p.add_argument("--today", help="YYYY-MM-DD (default: today in Beijing)")
    p.add_argument("--dry-run", action="store_true", help="list the institutions due, record and send nothing")
    p.set_defaults(func=_run(_reminders))
