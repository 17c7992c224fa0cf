"""`lingling db upgrade|current|revision`, `lingling backup [--output FILE] [--with-index]` and
`lingling restore FILE` (listed in assistant/cli.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.settings import Settings


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from assistant.ops.migrate import prepare_database

    db_url = Settings.from_args(args).db_url
    prepare_database(db_url)
    print(f"every table up to date ({make_url(db_url).render_as_string(hide_password=True)})", file=sys.stderr)
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    from assistant.ops.migrate import PARTS
    from knowledge.schema import current, migration_engine

    engine = migration_engine(Settings.from_args(args).db_url)
    try:
        behind = 0
        for part in PARTS:
            at, head = current(engine, part), part.head()
            behind += at != head
            print(f"{part.name}\t{at or '-'}\t{'up to date' if at == head else f'head is {head}'}")
    finally:
        engine.dispose()
    return 1 if behind else 0


def cmd_db_revision(args: argparse.Namespace) -> int:
    import tempfile

    from assistant.ops.migrate import PARTS
    from knowledge.schema import migration_engine, new_revision, upgrade

    part = next(p for p in PARTS if p.name == args.part)
    if not args.autogenerate:
        print(new_revision(part, args.message))
        return 0
    with tempfile.TemporaryDirectory() as tmp:  # the part's migrations so far, on an empty database
        engine = migration_engine(f"sqlite:///{tmp}/revision.db")
        try:
            upgrade(engine, [part])
            print(new_revision(part, args.message, engine))
        finally:
            engine.dispose()
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from assistant.ops.backup import BackupError, backup

    try:
        path = backup(Settings.from_args(args), Path(args.output) if args.output else None, with_index=args.with_index)
    except BackupError as exc:
        print(f"lingling backup: {exc}", file=sys.stderr)
        return 1
    print(f"backup written: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from assistant.ops.backup import BackupError, read_manifest, restore

    settings = Settings.from_args(args)
    archive = Path(args.file)
    try:
        manifest = read_manifest(archive)
        if sys.stdin.isatty() and not args.yes:
            answer = input(f"用 {archive.name}（{manifest.created_at}）覆盖当前数据库 {manifest.backend}？请先停止服务。[y/N] ")
            if answer.strip().lower() not in ("y", "yes", "是"):
                print("cancelled", file=sys.stderr)
                return 1
        restore(settings, archive, with_index=not args.no_index)
    except BackupError as exc:
        print(f"lingling restore: {exc}", file=sys.stderr)
        return 1
    print(f"restored {manifest.backend} database from {archive} (made {manifest.created_at})"
          + (f", data folders {', '.join(manifest.data_folders)}" if manifest.data_folders and not args.no_index else ""))
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from assistant.ops.migrate import PARTS

    db = sub.add_parser("db", help="database tools").add_subparsers(dest="db_cmd", required=True)
    db.add_parser("upgrade", help="create or upgrade every table (each part's Alembic revisions)").set_defaults(
        func=cmd_db_upgrade)
    db.add_parser("current", help="each part's revision (exit 1 when one is behind)").set_defaults(func=cmd_db_current)
    s = db.add_parser("revision", help="a new migration file of one part (developers)")
    s.add_argument("part", choices=[p.name for p in PARTS])
    s.add_argument("-m", "--message", required=True, help="what it changes, e.g. 'add handoff tickets'")
    s.add_argument("--autogenerate", action="store_true", help="write the operations that make the part's tables "
                                                              "match the code (review them!)")
    s.set_defaults(func=cmd_db_revision)
    s = sub.add_parser("backup", help="back up the database (and optionally the index) into one .tar.gz")
    s.add_argument("-o", "--output", help="archive path (default: <data dir>/backups/lingling-<time>.tar.gz)")
    s.add_argument("--with-index", action="store_true", help="also the data folder's index, models and vector cache")
    s.set_defaults(func=cmd_backup)
    s = sub.add_parser("restore", help="restore a backup made by `lingling backup` (stop the server first)")
    s.add_argument("file")
    s.add_argument("--no-index", action="store_true", help="leave the data folder's index and models alone")
    s.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    s.set_defaults(func=cmd_restore)
