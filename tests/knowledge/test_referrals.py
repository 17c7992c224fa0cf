"""The referral directory: validated like the service items; example details never confirmed."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.errors import KnowledgeValidationError
from knowledge.referrals import directory_path, load_directory, parse_directory


def test_the_shipped_directory_is_valid_and_covers_the_common_matters() -> None:
    d = load_directory()
    terms = {t for m in d.matters for t in m.terms}
    for word in ("身份证", "社保", "公积金", "驾驶证", "医保", "户口", "不动产登记", "结婚"):
        assert word in terms, word
    assert {m.department for m in d.matters} <= {x.id for x in d.departments}
    assert "12345" in d.last_resort.hotline


def test_example_local_details_are_never_confirmed() -> None:
    d = load_directory()
    assert all(dep.confirmed_local() is None for dep in d.departments if dep.local and dep.local.source.kind == "example")
    confirmed = d.departments[0].model_copy(update={"local": d.departments[0].local.model_copy(  # type: ignore[union-attr]
        update={"source": d.departments[0].local.source.model_copy(update={"kind": "seed"})})})  # type: ignore[union-attr]
    assert confirmed.confirmed_local() is not None


def test_errors_name_the_file_the_field_and_the_fix(tmp_path: Path) -> None:
    bad = """
last_resort: {hotline: 12345政务服务便民热线, guide_desk: 导服台}
departments:
  - {id: public-security, name: 公安机关, handles: 身份证}
matters:
  - {id: id-card, name: 身份证, department: nowhere, terms: [身份证]}
  - {id: Bad_Id, name: 社保, department: public-security, terms: []}
"""
    path = tmp_path / "referrals.yml"
    with pytest.raises(KnowledgeValidationError) as exc:
        parse_directory(path, bad)
    text = str(exc.value)
    assert str(path) in text
    assert "matters[1].id" in text and "matters[1].terms" in text


def test_unknown_department_is_reported(tmp_path: Path) -> None:
    bad = """
last_resort: {hotline: '12345', guide_desk: 导服台}
departments:
  - {id: public-security, name: 公安机关, handles: 身份证}
matters:
  - {id: id-card, name: 身份证, department: nowhere, terms: [身份证]}
"""
    with pytest.raises(KnowledgeValidationError, match="unknown departments"):
        parse_directory(tmp_path / "referrals.yml", bad)


def test_a_knowledge_folder_without_a_directory_uses_the_shipped_one(tmp_path: Path) -> None:
    assert directory_path(tmp_path) == directory_path(None)
