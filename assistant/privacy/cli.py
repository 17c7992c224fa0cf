"""`lingling purge` (retention) and `lingling privacy find|export|delete` (a person's requests).

Deletions and exports from the command line are written to the staff console's audit log as `cli:<os user>`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from assistant.settings import Settings


def _db(args: argparse.Namespace) -> Engine:
    from assistant.dialogue.db import make_engine
    from assistant.ops.migrate import upgrade_all

    db_url = Settings.from_args(args).db_url
    upgrade_all(db_url)  # every part: conversations, handoff tickets, the audit log
    return make_engine(db_url)


def _audit(db: Engine, action: str, target: str, after: Any) -> None:
    from assistant.staff import db as staff_db
    from assistant.staff.audit import AuditLog

    staff_db.migrate(db)
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in this environment
        who = "unknown"
    AuditLog(db).record(f"cli:{who}", action, target, None, after)


def cmd_purge(args: argparse.Namespace) -> int:
    from assistant.privacy.retention import purge

    days = args.days if args.days is not None else Settings.from_args(args).retention_days
    if days < 1:
        print("lingling purge: --days must be at least 1", file=sys.stderr)
        return 2
    db = _db(args)
    try:
        report = purge(db, days, dry_run=args.dry_run)
        if report.tickets and not report.dry_run:
            _audit(db, "handoff_purge", "", {"tickets": report.tickets, "cutoff": report.cutoff.isoformat()})
    finally:
        db.dispose()
    print(report.line())
    return 0


def cmd_find(args: argparse.Namespace) -> int:
    from assistant.privacy.subject import find

    if not (args.sender or args.filing or args.phone):
        print("lingling privacy find: give --sender, --filing or --phone", file=sys.stderr)
        return 2
    db = _db(args)
    try:
        matches = find(db, args.sender or "", args.filing or "", args.phone or "")
    finally:
        db.dispose()
    for m in matches:
        print(json.dumps(m.to_json(), ensure_ascii=False))
    if not matches:
        print("no conversation found", file=sys.stderr)
    return 0 if matches else 1


def cmd_export(args: argparse.Namespace) -> int:
    from assistant.privacy.subject import export

    db = _db(args)
    try:
        data = export(db, args.sender)
        if data is None:
            print(f"no conversation {args.sender!r}", file=sys.stderr)
            return 1
        _audit(db, "privacy_export", args.sender, {"turns": len(data["turns"]), "filings": data["filings"]})
    finally:
        db.dispose()
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from assistant.privacy.subject import delete_conversation

    if not args.yes:
        print("lingling privacy delete: add --yes to delete the conversation (it cannot be undone)", file=sys.stderr)
        return 2
    db = _db(args)
    try:
        counts = delete_conversation(db, args.sender)
        _audit(db, "privacy_delete", args.sender, counts)
    finally:
        db.dispose()
    print(f"deleted {counts['conversations']} conversation state(s), {counts['turns']} turn(s) and "
          f"{counts['tickets']} handoff ticket(s) of {args.sender}")
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    s = sub.add_parser("purge", help="delete conversations older than the retention period (filings are kept)")
    s.add_argument("--days", type=int, default=None, help="retention in days (default: LINGLING_RETENTION_DAYS, 180)")
    s.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    s.set_defaults(func=cmd_purge)

    priv = sub.add_parser("privacy", help="a person's conversation: find, export, delete").add_subparsers(
        dest="privacy_cmd", required=True)
    s = priv.add_parser("find", help="find conversations by sender id, filing number or mobile number")
    s.add_argument("--sender")
    s.add_argument("--filing")
    s.add_argument("--phone")
    s.set_defaults(func=cmd_find)
    s = priv.add_parser("export", help="one conversation as JSON (audited)")
    s.add_argument("--sender", required=True)
    s.add_argument("-o", "--output")
    s.set_defaults(func=cmd_export)
    s = priv.add_parser("delete", help="delete one conversation's state, turns and handoff tickets (audited; filings are kept)")
    s.add_argument("--sender", required=True)
    s.add_argument("--yes", action="store_true", help="confirm")
    s.set_defaults(func=cmd_delete)
