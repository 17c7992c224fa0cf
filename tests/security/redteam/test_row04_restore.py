"""Red team, row 4: a crafted backup archive and `lingling restore`.

Found: restore trusted manifest.json: an absolute `data_folders` entry deleted that folder, a `../` entry replaced a
sibling of the data folder. Now the manifest and every member are checked before anything is extracted or changed
(assistant/ops/backup.py `check_manifest`, `check_members`), with a precise error.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Any, Path, Path]:
    """(settings, a genuine backup with its index, a folder outside the data folder that must survive)."""
    from assistant.ops.backup import backup
    from assistant.ops.migrate import upgrade_all
    from assistant.settings import Settings

    settings = Settings(data_dir=tmp_path / "var")
    (settings.data_dir / "index").mkdir(parents=True)
    (settings.data_dir / "index" / "manifest.json").write_text("{}", encoding="utf-8")
    upgrade_all(settings.db_url)
    archive = backup(settings, tmp_path / "genuine.tar.gz", with_index=True)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me", encoding="utf-8")
    return settings, archive, victim


def crafted(genuine: Path, target: Path, manifest: dict[str, Any] | None = None,
            extra: list[tarfile.TarInfo] | None = None, folders: dict[str, str] | None = None) -> Path:
    """A copy of `genuine` with another manifest, extra members (links …) and folders under given member names."""
    with tarfile.open(genuine, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()]  # type: ignore[union-attr]
        original = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    with tarfile.open(target, "w:gz") as out:
        for member, data in members:
            if member.name == "manifest.json":
                data = json.dumps({**original, **(manifest or {})}).encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data) if data is not None else None)
        for name, content in (folders or {}).items():
            info = tarfile.TarInfo(f"{name}/note.txt")
            info.size = len(content.encode())
            out.addfile(info, io.BytesIO(content.encode()))
        for info in extra or []:
            out.addfile(info)
    return target


def restore_refuses(settings: Any, archive: Path, words: str) -> None:
    from assistant.ops.backup import BackupError, restore

    with pytest.raises(BackupError) as err:
        restore(settings, archive)
    assert words in str(err.value), str(err.value)


def test_an_absolute_data_folder_is_refused_and_left_alone(setup: tuple[Any, Path, Path], tmp_path: Path) -> None:
    settings, genuine, victim = setup
    archive = crafted(genuine, tmp_path / "abs.tar.gz", {"data_folders": [str(victim)]}, folders={f"data{victim}": "x"})
    restore_refuses(settings, archive, "is not one of index, models, cache")
    assert (victim / "precious.txt").read_text(encoding="utf-8") == "keep me"


def test_a_parent_folder_is_refused_and_left_alone(setup: tuple[Any, Path, Path], tmp_path: Path) -> None:
    settings, genuine, victim = setup
    archive = crafted(genuine, tmp_path / "up.tar.gz", {"data_folders": ["../victim"]}, folders={"data/../victim": "x"})
    restore_refuses(settings, archive, "refusing to restore")
    assert (victim / "precious.txt").read_text(encoding="utf-8") == "keep me" and not (victim / "note.txt").exists()


def test_the_database_member_must_be_the_backends_own(setup: tuple[Any, Path, Path], tmp_path: Path) -> None:
    settings, genuine, _ = setup
    for bad in ("/etc/passwd", "../lingling.sqlite3", "database/../../x"):
        archive = crafted(genuine, tmp_path / "db.tar.gz", {"database": bad})
        restore_refuses(settings, archive, "must be 'database/lingling.sqlite3'")


def test_links_in_the_archive_are_refused(setup: tuple[Any, Path, Path], tmp_path: Path) -> None:
    settings, genuine, victim = setup
    link = tarfile.TarInfo("data/index/escape")
    link.type = tarfile.SYMTYPE
    link.linkname = str(victim)
    archive = crafted(genuine, tmp_path / "link.tar.gz", extra=[link])
    restore_refuses(settings, archive, "is a link or a special file")
    assert (victim / "precious.txt").exists()


def test_a_data_folder_that_is_a_link_out_is_not_followed(setup: tuple[Any, Path, Path]) -> None:
    settings, genuine, victim = setup
    import shutil

    shutil.rmtree(settings.data_dir / "index")
    (settings.data_dir / "index").symlink_to(victim, target_is_directory=True)
    restore_refuses(settings, genuine, "is a link or a file")
    assert (victim / "precious.txt").read_text(encoding="utf-8") == "keep me"


def test_a_genuine_backup_still_restores(setup: tuple[Any, Path, Path]) -> None:
    from assistant.ops.backup import restore

    settings, genuine, _ = setup
    assert restore(settings, genuine).data_folders == ["index"]
    assert (settings.data_dir / "index" / "manifest.json").read_text(encoding="utf-8") == "{}"
