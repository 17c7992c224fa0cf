"""After a decision: a rejection names the fields to fix, a resubmission is linked to the filing it corrects,
several validation items are decided in one go, and the history reads in Chinese."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from actions.filings import (
    FilingNotFound,
    FilingStore,
    InvalidData,
    InvalidTransition,
    LostNoticeData,
    NotResubmittable,
    ValidationData,
)
from actions.filings.states import history_note

Notice = Callable[..., LostNoticeData]
Validation = Callable[..., ValidationData]


def test_a_rejection_names_the_fields_to_fix(filing_store: FilingStore, make_notice: Notice) -> None:
    fid = filing_store.submit_lost_notice(make_notice(), "k").filing_id
    view = filing_store.reject(fid, "审核员", "信用代码与营业执照不一致。", fix_fields=["uscc", "uscc", " "])
    assert (view.status, view.status_label, view.tone) == ("rejected", "审核未通过", "bad")
    assert view.reason == "信用代码与营业执照不一致。" and view.fix_fields == ("uscc",)
    assert filing_store.get(fid).fix_fields == ("uscc",)  # type: ignore[union-attr]
    other = filing_store.submit_lost_notice(make_notice(), "k2").filing_id
    with pytest.raises(InvalidData):
        filing_store.reject(other, "审核员", "理由", fix_fields=["no_such_field"])
    assert filing_store.get(other).status == "submitted"  # type: ignore[union-attr]  # nothing half-done
    assert filing_store.reject(other, "审核员", "理由").fix_fields == ()


def test_a_resubmission_is_linked_once(filing_store: FilingStore, make_notice: Notice) -> None:
    first = filing_store.submit_lost_notice(make_notice(uscc="91370211MA3C4X5Y6Z"), "k1").filing_id
    with pytest.raises(NotResubmittable) as not_yet:
        filing_store.submit_lost_notice(make_notice(), "k2", resubmission_of=first)
    assert "不需要重新提交" in not_yet.value.message
    filing_store.reject(first, "审核员", "代码不一致", ["uscc"])
    again = filing_store.submit_lost_notice(make_notice(uscc="91370211MA3C4X5Y6Z"), "k2", resubmission_of=first.lower())
    assert again.resubmission_of == first and again.status == "submitted" and again.filing_id != first
    assert filing_store.get(first).resubmitted_as == again.filing_id  # type: ignore[union-attr]
    # A retried confirm of the same form: the same filing, no error.
    assert filing_store.submit_lost_notice(make_notice(uscc="91370211MA3C4X5Y6Z"), "k2",
                                           resubmission_of=first).filing_id == again.filing_id
    with pytest.raises(NotResubmittable) as twice:
        filing_store.submit_lost_notice(make_notice(), "k3", resubmission_of=first)
    assert again.filing_id in twice.value.message
    with pytest.raises(FilingNotFound):
        filing_store.submit_lost_notice(make_notice(), "k4", resubmission_of="LN20991231001")
    assert len(filing_store.list_filings()) == 2


def test_a_resubmission_keeps_to_its_kind(filing_store: FilingStore, make_notice: Notice,
                                          make_validation: Validation) -> None:
    fid = filing_store.submit_lost_notice(make_notice(), "k").filing_id
    filing_store.reject(fid, "a", "理由")
    with pytest.raises(NotResubmittable):
        filing_store.submit_validation(make_validation(), "v", resubmission_of=fid)
    mv = filing_store.submit_validation(make_validation(items=["甲"]), "v1").filing_id
    filing_store.decide_items(mv, [("甲", "not_passed", "防护不达标")], "a")
    filing_store.finish_validation(mv, "a")
    again = filing_store.submit_validation(make_validation(items=["甲"]), "v2", resubmission_of=mv)
    assert again.resubmission_of == mv


def test_several_items_are_decided_in_one_go(filing_store: FilingStore, make_validation: Validation) -> None:
    fid = filing_store.submit_validation(make_validation(items=["甲", "乙", "丙"]), "k").filing_id
    view = filing_store.decide_items(fid, [("甲", "passed", ""), ("乙", "rectification", "防护门需加装联锁装置"),
                                           ("丙", "review", "")], "审查员")
    assert view.items == {"甲": "passed", "乙": "rectification", "丙": "review"}
    assert view.status == "rectification" and view.tone == "warn"
    assert view.item_notes == {"乙": "防护门需加装联锁装置"}
    moves = [(t.item, t.from_status, t.to_status) for t in filing_store.transitions(fid) if t.item]
    assert moves[:3] == [("甲", "pending", "review"), ("甲", "review", "passed"), ("乙", "pending", "review")]
    # All or nothing: one illegal decision leaves every item as it was.
    with pytest.raises(InvalidTransition):
        filing_store.decide_items(fid, [("丙", "passed", ""), ("甲", "onsite", "")], "审查员")
    assert filing_store.get(fid).items["丙"] == "review"  # type: ignore[union-attr]
    with pytest.raises(InvalidData):
        filing_store.decide_items(fid, [], "审查员")
    with pytest.raises(InvalidData):
        filing_store.decide_items(fid, [("丙", "approved", "")], "审查员")


def test_pass_all_decides_the_open_items_and_finishes(filing_store: FilingStore, make_validation: Validation) -> None:
    fid = filing_store.submit_validation(make_validation(items=["甲", "乙"]), "k").filing_id
    filing_store.decide_items(fid, [("乙", "rectification", "整改")], "a")
    view = filing_store.pass_all(fid, "科长")
    assert (view.status, view.items) == ("passed", {"甲": "passed", "乙": "passed"})
    with pytest.raises(InvalidTransition):
        filing_store.pass_all(fid, "科长")
    failed = filing_store.submit_validation(make_validation(items=["甲", "乙"]), "k2").filing_id
    filing_store.decide_items(failed, [("甲", "not_passed", "")], "a")
    assert filing_store.pass_all(failed, "科长").status == "not_passed"


def test_history_notes_are_chinese(filing_store: FilingStore, make_validation: Validation) -> None:
    fid = filing_store.submit_validation(make_validation(items=["放射诊疗许可证"]), "k").filing_id
    filing_store.decide_items(fid, [("放射诊疗许可证", "rectification", "")], "a")
    notes = [t.note for t in filing_store.transitions(fid) if t.item is None and t.note]
    assert notes == ["放射诊疗许可证：审查中", "放射诊疗许可证：整改中"]
    assert history_note("放射诊疗许可证: rectification") == "放射诊疗许可证：整改中"  # records written before
    assert history_note("防护门需整改") == "防护门需整改"
