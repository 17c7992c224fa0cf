"""`lingling backup [--output FILE] [--with-index]` and `lingling restore FILE` (listed in assistant/cli_more.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.cli import settings_from_args


def cmd_backup(args: argparse.Namespace) -> int:
    from assistant.ops.backup import BackupError, backup

    try:
        path = backup(settings_from_args(args), Path(args.output) if args.output else None, with_index=args.with_index)
    except BackupError as exc:
        print(f"lingling backup: {exc}", file=sys.stderr)
        return 1
    print(f"backup written: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from assistant.ops.backup import BackupError, read_manifest, restore

    settings = settings_from_args(args)
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
    s = sub.add_parser("backup", help="back up the database (and optionally the index) into one .tar.gz")
    s.add_argument("-o", "--output", help="archive path (default: <data dir>/backups/lingling-<time>.tar.gz)")
    s.add_argument("--with-index", action="store_true", help="also the data folder's index, models and vector cache")
    s.set_defaults(func=cmd_backup)
    s = sub.add_parser("restore", help="restore a backup made by `lingling backup` (stop the server first)")
    s.add_argument("file")
    s.add_argument("--no-index", action="store_true", help="leave the data folder's index and models alone")
    s.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    s.set_defaults(func=cmd_restore)
