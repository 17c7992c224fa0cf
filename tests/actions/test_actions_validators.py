"""Unit tests of the form answer checks and the action registry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from actions import validators as v

TODAY = dt.date(2026, 11, 20)


def test_uscc_check_digit_vs_format() -> None:
    assert v.check_uscc("91370211ma3c1234xn").value == "91370211MA3C1234XN"
    assert v.check_uscc("91370211MA3C1234X5").error == "utter_invalid_uscc_check_digit"
    assert v.check_uscc("9137021").error == "utter_invalid_uscc_format"
    assert v.check_uscc("91370211MA3C1234XO").error == "utter_invalid_uscc_format"  # O is not in the alphabet


def test_license_type_aliases_and_numbers(demo_kb: Any) -> None:
    kinds = demo_kb.license_types()
    assert v.check_license_type("食经证", kinds).value == "食品经营许可证"
    assert v.check_license_type("营业执照", kinds).error == "utter_invalid_license_type"
    assert v.check_license_number("jy13702110012345", kinds, "食品经营许可证").value == "JY13702110012345"
    assert not v.check_license_number("JY123", kinds, "食品经营许可证").ok
    assert not v.check_license_number("abc123", kinds, None).ok  # action_wire.jsonl line 4
    assert v.check_license_number("JY13301020012345", kinds, None).ok  # action_wire.jsonl line 5


@pytest.mark.parametrize(("text", "ok"), [
    ("13812345678", "13812345678"), ("138 1234 5678", "13812345678"), ("+86 13812345678", "13812345678"),
    ("0532-86001234", "0532-86001234"), ("053286001234", "0532-86001234"), ("12345", None), ("23812345678", None),
])
def test_phone(text: str, ok: str | None) -> None:
    assert v.check_phone(text).value == ok


def test_dates() -> None:
    assert v.check_past_date("昨天", TODAY, "e").value == "2026-11-19"
    assert v.check_past_date("2026年11月1日", TODAY, "e").value == "2026-11-01"
    assert v.check_past_date("明天", TODAY, "e").error == "e"
    assert v.check_past_date("不记得了", TODAY, "e").error == "e"
    assert v.check_any_date("2027-01-31", TODAY, "e").value == "2027-01-31"


def test_names_and_items(demo_kb: Any) -> None:
    assert v.check_person_name("我叫李明，电话").value == "李明"
    assert not v.check_person_name("123").ok
    items = demo_kb.validation_items()
    assert v.check_validation_items(["放射诊疗许可证"], items).value == ["放射诊疗许可证"]
    assert v.check_validation_items("印鉴卡和放射证", items).value == ["麻醉药品和第一类精神药品购用印鉴卡", "放射诊疗许可证"]
    assert v.check_validation_items("全部", items).value == [k.name for k in items]
    assert v.check_validation_items([], items).error == "utter_invalid_validation_items"


def test_status_inputs() -> None:
    assert v.check_filing_id("ln20261120001").value == "LN20261120001"  # the older references stay readable
    assert v.check_filing_id("ln20261120 7k3qx9").value == "LN20261120-7K3QX9"
    assert v.check_filing_id("编号是 LN20261120-7K3QX9。").value == "LN20261120-7K3QX9"
    assert not v.check_filing_id("LN20261120-7K3QO9").ok  # O is not in the alphabet
    assert not v.check_filing_id("LN123").ok
    assert v.check_last4("5678").value == "5678"
    assert v.check_last4("13812345678").value == "5678"
    assert not v.check_last4("56").ok


def test_registry_rejects_duplicates(demo_kb: Any) -> None:
    from actions.common import ActionDeps
    from actions.faq import AnswerFaq
    from actions.registry import ActionRegistry, DuplicateAction, build_registry

    registry = build_registry(lambda: demo_kb, None)
    assert "action_submit_lost_notice" in registry
    with pytest.raises(DuplicateAction):
        registry.add(AnswerFaq(ActionDeps(lambda: demo_kb)))
    with pytest.raises(DuplicateAction):
        ActionRegistry([AnswerFaq(ActionDeps(lambda: demo_kb)), AnswerFaq(ActionDeps(lambda: demo_kb))])
    assert {a.name for a in registry.executor().list_actions()} == set(registry.names())


@pytest.mark.parametrize(("said", "copy"), [
    ("正本", "正本"), ("副本", "副本"), ("正副本", "正副本"), ("正本丢了", "正本"), ("只丢了副本", "副本"),
    ("正本和副本都丢了", "正副本"), ("两本都遗失了", "正副本"), ("不是正本，是副本", "副本"), ("原件丢了", "正本"),
])
def test_lost_copy_in_words(said: str, copy: str) -> None:
    from actions.validators import check_lost_copy

    assert check_lost_copy(said).value == copy


@pytest.mark.parametrize("said", ["不知道", "营业执照", "", "丢了"])
def test_lost_copy_not_said(said: str) -> None:
    from actions.validators import check_lost_copy

    assert check_lost_copy(said).error == "utter_invalid_lost_copy"
