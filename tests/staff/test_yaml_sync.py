"""The YAML folder keeps flowing into the live knowledge store, but never over a staff member's edit."""

from __future__ import annotations

import shutil
from pathlib import Path

from assistant.loading import load_live_kb, open_store
from assistant.settings import Settings
from knowledge.store import PUBLISHED

DATA = Path(__file__).parents[2] / "knowledge" / "data"


def _settings(tmp_path: Path) -> tuple[Settings, Path]:
    folder = tmp_path / "kb"
    folder.mkdir()
    for name in ("service-hall.yml", "video-service.yml"):
        shutil.copy(DATA / name, folder / name)
    return Settings(data_dir=tmp_path / "var", knowledge_dir=folder, env="test"), folder


def _answer(kb, faq_id: str) -> str:  # type: ignore[no-untyped-def]
    return next(f.answer for _, f in kb.faqs if f.id == faq_id)


def test_changed_yaml_file_is_published_on_the_next_start(tmp_path: Path) -> None:
    settings, folder = _settings(tmp_path)
    kb, gen = load_live_kb(settings)
    first = _answer(kb, "service-hall/opening-hours")
    path = folder / "service-hall.yml"
    path.write_text(path.read_text(encoding="utf-8").replace(first, "新的办公时间说明。"), encoding="utf-8")
    kb2, gen2 = load_live_kb(settings)
    assert _answer(kb2, "service-hall/opening-hours") == "新的办公时间说明。"
    assert gen2 > gen
    assert load_live_kb(settings)[1] == gen2  # nothing changed: no new version


def test_staff_edit_is_not_overwritten_by_the_file(tmp_path: Path) -> None:
    settings, folder = _settings(tmp_path)
    load_live_kb(settings)
    store = open_store(settings)
    current = store.latest("service-hall")
    assert current is not None
    old = _answer(load_live_kb(settings)[0], "service-hall/opening-hours")
    store.add_version("service-hall", current.text.replace(old, "工作人员改过的答案。"), PUBLISHED, author="editor1")
    store.close()
    path = folder / "service-hall.yml"
    path.write_text(path.read_text(encoding="utf-8").replace(old, "文件里的新答案。"), encoding="utf-8")
    assert _answer(load_live_kb(settings)[0], "service-hall/opening-hours") == "工作人员改过的答案。"
