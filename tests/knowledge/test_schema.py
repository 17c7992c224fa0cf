"""Schema errors: every problem names the file, the field and a fix; a folder reports all of them."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from knowledge.errors import KnowledgeError, KnowledgeValidationError, LoadProblem
from knowledge.loader import load_knowledge, parse_item
from knowledge.models import ServiceItem
from tests.factories import dump_yaml, faq_dict, service_dict, write_item

FIXTURES = Path(__file__).parent / "fixtures"

# case folder -> (file that is broken, expected field, words the message must hold, words the fix must hold)
CASES: dict[str, tuple[str, str, str, str]] = {
    "missing_field": ("missing-field.yml", "department", "required", "add this field"),
    "unknown_key": ("unknown-key.yml", "opening_hours", "not permitted", "remove this key"),
    "duplicate_id": ("dup-item.yml", "id", "duplicate id 'dup-item'", "one id per item"),
    "bad_date": ("bad-date.yml", "updated_at", "date", "YYYY-MM-DD"),
    "few_variants": ("few-variants.yml", "faqs[0].variants", "at least 5", "add more entries"),
    "repeated_variants": ("repeated-variants.yml", "faqs[0].variants", "variants repeat", "correct the value"),
    "empty_answer": ("empty-answer.yml", "faqs[0].answer", "at least 1 character", "non-empty text"),
    "file_name": ("wrong-name.yml", "id", "differs from the file name", "rename to right-name.yml"),
    "invalid_yaml": ("invalid-yaml.yml", "line 6", "not valid YAML", "fix the YAML syntax"),
    "duplicate_faq": ("duplicate-faq.yml", "faqs", "duplicate faq ids ['duplicate-faq/overview']", "own id"),
    "faq_prefix": ("faq-prefix.yml", "faqs", "'other-item/fees' must look like 'faq-prefix/<slug>'", ""),
}
# FAQ-level problems: found by the `faqs` field validator, so their field is `faqs` (checked separately).
FIELD_NOT_NAMED = {"duplicate_faq", "faq_prefix"}


def _problems(folder: Path) -> list[LoadProblem]:
    with pytest.raises(KnowledgeValidationError) as info:
        load_knowledge(folder)
    assert info.value.problems, "a validation error must list its problems"
    return info.value.problems


def test_valid_fixture_loads() -> None:
    kb = load_knowledge(FIXTURES / "valid")
    assert list(kb.items) == ["valid-item"]
    assert kb.items["valid-item"].faqs[0].id == "valid-item/overview"


@pytest.mark.parametrize("case", sorted(set(CASES) - FIELD_NOT_NAMED))
def test_broken_fixture_names_file_field_and_fix(case: str) -> None:
    fname, field, message, fix = CASES[case]
    problems = _problems(FIXTURES / case)
    assert len(problems) == 1, [str(p) for p in problems]
    p = problems[0]
    assert Path(p.file).name == fname
    assert Path(p.file).parent.name == case
    assert p.field == field, str(p)
    assert message in p.message, str(p)
    assert fix and fix in p.fix, str(p)
    # The printable form carries all four parts (what `lingling kb validate` prints).
    assert str(p) == f"{p.file}: {p.field}: {p.message} — fix: {p.fix}"


@pytest.mark.parametrize("case", sorted(FIELD_NOT_NAMED))
def test_faq_level_problems_carry_message_and_fix(case: str) -> None:
    fname, _, message, fix = CASES[case]
    (p,) = _problems(FIXTURES / case)
    assert Path(p.file).name == fname
    assert message in p.message
    assert p.fix
    assert fix in str(p)


@pytest.mark.parametrize("case", sorted(FIELD_NOT_NAMED))
def test_faq_level_problems_name_the_faq_field(case: str) -> None:
    (p,) = _problems(FIXTURES / case)
    assert p.field.startswith("faqs"), str(p)


def test_duplicate_id_names_both_files() -> None:
    (p,) = _problems(FIXTURES / "duplicate_id")
    assert "dup-item.yaml" in p.message and Path(p.file).name == "dup-item.yml"


def test_impossible_unquoted_date_is_reported_not_raised() -> None:
    problems = _problems(FIXTURES / "impossible_date")
    (p,) = problems
    assert Path(p.file).name == "impossible-date.yml"
    assert "updated_at" in p.field or "updated_at" in p.message
    assert "YYYY-MM-DD" in p.fix


def test_folder_reports_every_problem_not_just_the_first(tmp_path: Path) -> None:
    """All broken fixture files in one folder (plus a valid one): one error naming each of them."""
    folder = tmp_path / "kb"
    folder.mkdir()
    broken_files = set()
    for case, (fname, *_rest) in CASES.items():
        for f in (FIXTURES / case).iterdir():
            shutil.copy(f, folder / f.name)
        broken_files.add(fname)
    shutil.copy(FIXTURES / "valid" / "valid-item.yml", folder)
    problems = _problems(folder)
    named = {Path(p.file).name for p in problems}
    assert named == broken_files, sorted(named ^ broken_files)
    assert len(problems) == len(CASES)
    # The exception's text lists every one of them, one per line.
    with pytest.raises(KnowledgeValidationError) as info:
        load_knowledge(folder)
    assert len(str(info.value).splitlines()) >= len(CASES)


def test_one_file_reports_all_its_problems(tmp_path: Path) -> None:
    data = service_dict("many-problems", opening_hours="9-5", updated_at="soon")
    del data["department"]
    data["faqs"] = [faq_dict("many-problems", "overview", answer="", variants=["一", "二"])]
    write_item(tmp_path, data)
    fields = {p.field for p in _problems(tmp_path)}
    assert {"department", "opening_hours", "updated_at", "faqs[0].answer", "faqs[0].variants"} <= fields


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "listy.yml").write_text("- id: listy\n", encoding="utf-8")
    (p,) = _problems(tmp_path)
    assert Path(p.file).name == "listy.yml" and "mapping" in p.message and p.fix


def test_statute_source_needs_ref(tmp_path: Path) -> None:
    data = service_dict("statute-item")
    data["sources"]["summary"] = {"kind": "statute"}
    write_item(tmp_path, data)
    (p,) = _problems(tmp_path)
    assert p.field == "sources.summary" and "ref" in p.message


def test_unknown_fact_group_and_missing_groups(tmp_path: Path) -> None:
    data = service_dict("groups-item")
    data["sources"] = {"summary": {"kind": "seed"}, "colour": {"kind": "seed"}}
    write_item(tmp_path, data)
    (p,) = _problems(tmp_path)
    assert p.field == "sources" and "colour" in p.message


def test_bad_slug_id(tmp_path: Path) -> None:
    write_item(tmp_path, service_dict("Bad_ID"))
    (p,) = _problems(tmp_path)
    assert p.field == "id" and "slug" in p.message


def test_missing_folder_is_a_knowledge_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="does not exist"):
        load_knowledge(tmp_path / "nope")


def test_parse_item_returns_a_model() -> None:
    text = dump_yaml(service_dict("parsed-item"))
    item = parse_item(Path("parsed-item.yml"), text)
    assert isinstance(item, ServiceItem) and item.id == "parsed-item"
    with pytest.raises(KnowledgeValidationError):
        parse_item(Path("other-name.yml"), text)


# ---- effective dates ----------------------------------------------------------------------


def test_expired_item_is_skipped(tmp_path: Path) -> None:
    write_item(tmp_path, service_dict("live-item"))
    write_item(tmp_path, service_dict("expired-item", effective_from="2020-01-01", effective_until="2021-12-31"))
    kb = load_knowledge(tmp_path, today=dt.date(2025, 6, 18))
    assert set(kb.items) == {"live-item"}
    assert kb.skipped == ("expired-item",)
    assert kb.faq("expired-item/overview") is None
    assert kb.faq("live-item/overview") is not None


def test_item_in_force_until_its_last_day_and_future_item_skipped(tmp_path: Path) -> None:
    write_item(tmp_path, service_dict("ends-today", effective_until="2025-06-18"))
    write_item(tmp_path, service_dict("starts-later", effective_from="2025-07-01"))
    kb = load_knowledge(tmp_path, today=dt.date(2025, 6, 18))
    assert set(kb.items) == {"ends-today"} and kb.skipped == ("starts-later",)
    assert set(load_knowledge(tmp_path, today=dt.date(2025, 7, 1)).items) == {"starts-later"}


def test_until_before_from_is_an_error(tmp_path: Path) -> None:
    write_item(tmp_path, service_dict("backwards", effective_from="2025-01-01", effective_until="2024-01-01"))
    (p,) = _problems(tmp_path)
    assert "effective_until is before effective_from" in p.message


def test_content_hash_changes_with_content() -> None:
    from tests.factories import make_kb

    a = make_kb(service_dict("hash-item"))
    b = make_kb(service_dict("hash-item"))
    c = make_kb(service_dict("hash-item", fees="收费 10 元"))
    assert a.content_hash() == b.content_hash()
    assert a.content_hash() != c.content_hash()
