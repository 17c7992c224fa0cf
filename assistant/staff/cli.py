"""`lingling admin ...`: staff accounts from the command line (the first admin is made here)."""

from __future__ import annotations

import argparse
import getpass
import sys

from assistant.settings import Settings
from assistant.staff.users import ROLES, UserError, UserStore


def _users(args: argparse.Namespace) -> UserStore:
    from assistant.staff.db import migrate
    from knowledge.store import make_engine

    engine = make_engine(Settings.from_args(args).db_url)
    migrate(engine)
    return UserStore(engine)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码（至少 8 位）：")
    if getpass.getpass("再次输入密码：") != first:
        raise UserError("两次输入的密码不一致。")
    return first


def cmd_create(args: argparse.Namespace) -> int:
    try:
        user = _users(args).create(args.username, _password(args), args.role, args.display_name or "")
    except UserError as exc:
        print(f"lingling admin create: {exc.message}", file=sys.stderr)
        return 1
    print(f"created {user.username} ({user.role})")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    users = _users(args)
    user = users.get_by_name(args.username)
    if user is None:
        print(f"lingling admin passwd: no user {args.username!r}", file=sys.stderr)
        return 1
    try:
        users.set_password(user.id, _password(args))
        if args.enable:
            users.update(user.id, active=True)
    except UserError as exc:
        print(f"lingling admin passwd: {exc.message}", file=sys.stderr)
        return 1
    print(f"password of {user.username} changed")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    for u in _users(args).all():
        print(f"{u.username}\t{u.role}\t{'active' if u.active else 'disabled'}\t{u.display_name}")
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`lingling admin create|passwd|list`."""
    admin = sub.add_parser("admin", help="staff console accounts").add_subparsers(dest="admin_cmd", required=True)
    s = admin.add_parser("create", help="create a staff account (the first admin, for instance)")
    s.add_argument("--username", required=True)
    s.add_argument("--role", choices=ROLES, default="admin")
    s.add_argument("--display-name", default="")
    s.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    s.set_defaults(func=cmd_create)
    s = admin.add_parser("passwd", help="set a staff account's password")
    s.add_argument("--username", required=True)
    s.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    s.add_argument("--enable", action="store_true", help="also re-enable a disabled account")
    s.set_defaults(func=cmd_passwd)
    admin.add_parser("list", help="list staff accounts").set_defaults(func=cmd_list)
