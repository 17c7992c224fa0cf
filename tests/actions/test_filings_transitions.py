"""State machines: every legal transition, illegal ones, history with actors, concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from actions.filings import (
    FilingNotFound,
    FilingStore,
    FilingView,
    InvalidData,
    InvalidTransition,
    ItemsUndecided,
    LostNoticeData,
    UnknownItem,
    ValidationData,
    WrongKind,
)
from actions.filings import states as st

Notice = Callable[..., LostNoticeData]
Validation = Callable[..., ValidationData]


def _moves(view: FilingView) -> list[tuple[str, str, str]]:
    return [(f, t, a) for f, t, a, _ in view.history]


def test_notice_happy_path(filing_store: FilingStore, make_notice: Notice) -> None:
    fid = filing_store.submit_lost_notice(make_notice(), "k").filing_id
    approved = filing_store.approve(fid, "审核员甲")
    assert (approved.status, approved.status_label) == ("approved", "审核通过，待刊登遗失公告")
    published = filing_store.publish(fid, "审核员乙")
    assert published.status == "published"
    assert published.notice_number == "XHA-YS-2026-0001"
    assert published.published_on == date(2026, 11, 20)
    reissued = filing_store.reissue(fid, "窗口丙")
    assert reissued.status == "reissued" and reissued.notice_number == "XHA-YS-2026-0001"
    assert _moves(reissued) == [
        ("", "submitted", "applicant"),
        ("submitted", "approved", "审核员甲"),
        ("approved", "published", "审核员乙"),
        ("published", "reissued", "窗口丙"),
    ]
    times = [at for *_, at in reissued.history]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)


@pytest.mark.parametrize("approve_first", [False, True])
def test_reject_with_reason(filing_store: FilingStore, make_notice: Notice, approve_first: bool) -> None:
    fid = filing_store.submit_lost_notice(make_notice(), "k").filing_id
    if approve_first:
        filing_store.approve(fid, "a")
    view = filing_store.reject(fid, "审核员", "统一社会信用代码与营业执照不一致")
    assert view.status == "rejected" and view.reason == "统一社会信用代码与营业执照不一致"
    assert view.status_label == "审核未通过"  # the reason is said once, by whoever shows it, never in the label
    assert view.history[-1][:3] == ("approved" if approve_first else "submitted", "rejected", "审核员")
    notes = [t.note for t in filing_store.transitions(fid)]
    assert notes[-1] == "统一社会信用代码与营业执照不一致"
    with pytest.raises(InvalidData):
        filing_store.reject(filing_store.submit_lost_notice(make_notice(), "k2").filing_id, "a", "  ")


ILLEGAL_NOTICE = [
    ([], "publish", "submitted", "published"),
    ([], "reissue", "submitted", "reissued"),
    (["approve"], "approve", "approved", "approved"),
    (["approve"], "reissue", "approved", "reissued"),
    (["approve", "publish"], "approve", "published", "approved"),
    (["approve", "publish"], "publish", "published", "published"),
    (["approve", "publish"], "reject", "published", "rejected"),
    (["approve", "publish", "reissue"], "reissue", "reissued", "reissued"),
    (["reject"], "approve", "rejected", "approved"),
]


@pytest.mark.parametrize(("before", "action", "from_status", "to_status"), ILLEGAL_NOTICE)
def test_illegal_notice_transitions(filing_store: FilingStore, make_notice: Notice, before: list[str], action: str,
                                    from_status: str, to_status: str) -> None:
    fid = filing_store.submit_lost_notice(make_notice(), "k").filing_id

    def do(name: str) -> Any:
        if name == "reject":
            return filing_store.reject(fid, "a", "原因")
        return getattr(filing_store, name)(fid, "a")

    for name in before:
        do(name)
    with pytest.raises(InvalidTransition) as info:
        do(action)
    assert (info.value.from_status, info.value.to_status) == (from_status, to_status)
    assert info.value.status == 409 and info.value.message
    assert filing_store.get(fid).status == from_status  # type: ignore[union-attr]


def test_unknown_filing_and_empty_actor(filing_store: FilingStore, make_notice: Notice) -> None:
    with pytest.raises(FilingNotFound):
        filing_store.approve("LN20991231001", "a")
    fid = filing_store.submit_lost_notice(make_notice(), "k").filing_id
    with pytest.raises(InvalidData):
        filing_store.approve(fid, " ")


def test_operations_of_the_other_kind(filing_store: FilingStore, make_notice: Notice,
                                      make_validation: Validation) -> None:
    n = filing_store.submit_lost_notice(make_notice(), "n").filing_id
    v = filing_store.submit_validation(make_validation(), "v").filing_id
    for call in (lambda: filing_store.approve(v, "a"), lambda: filing_store.publish(v, "a"),
                 lambda: filing_store.decide_item(n, "x", "review", "a"),
                 lambda: filing_store.finish_validation(n, "a")):
        with pytest.raises(WrongKind):
            call()


def test_validation_flow_with_per_item_decisions(filing_store: FilingStore, make_validation: Validation) -> None:
    view = filing_store.submit_validation(make_validation(items=["执业许可证校验", "放射诊疗校验"]), "v")
    fid = view.filing_id
    assert view.status == "submitted"
    view = filing_store.decide_item(fid, "执业许可证校验", "review", "审查员")
    assert view.status == "in_review" and view.items == {"执业许可证校验": "review", "放射诊疗校验": "pending"}
    filing_store.decide_item(fid, "放射诊疗校验", "review", "审查员")
    view = filing_store.decide_item(fid, "放射诊疗校验", "onsite", "核查员", note="约定周三现场核查")
    assert (view.status, view.status_label) == ("onsite", "现场核查中")
    view = filing_store.decide_item(fid, "放射诊疗校验", "rectification", "核查员", note="防护门需整改")
    assert view.status == "rectification"
    with pytest.raises(ItemsUndecided) as info:
        filing_store.finish_validation(fid, "科长")
    assert "执业许可证校验" in info.value.message
    filing_store.decide_item(fid, "放射诊疗校验", "onsite", "核查员")
    filing_store.decide_item(fid, "放射诊疗校验", "passed", "核查员")
    view = filing_store.decide_item(fid, "执业许可证校验", "passed", "审查员")
    assert view.status == "in_review" and set(view.items.values()) == {"passed"}
    view = filing_store.finish_validation(fid, "科长")
    assert (view.status, view.status_label) == ("passed", "校验通过，已办结")
    assert _moves(view) == [
        ("", "submitted", "applicant"),
        ("submitted", "in_review", "审查员"),
        ("in_review", "onsite", "核查员"),
        ("onsite", "rectification", "核查员"),
        ("rectification", "onsite", "核查员"),
        ("onsite", "in_review", "核查员"),
        ("in_review", "passed", "科长"),
    ]
    item_moves = [(t.item, t.from_status, t.to_status, t.actor, t.note) for t in filing_store.transitions(fid) if t.item]
    assert ("放射诊疗校验", "review", "onsite", "核查员", "约定周三现场核查") in item_moves
    assert len(item_moves) == 7
    with pytest.raises(InvalidTransition):
        filing_store.decide_item(fid, "放射诊疗校验", "not_passed", "核查员")
    with pytest.raises(InvalidTransition):
        filing_store.finish_validation(fid, "科长")


def test_any_failed_item_fails_the_validation(filing_store: FilingStore, make_validation: Validation) -> None:
    fid = filing_store.submit_validation(make_validation(items=["甲", "乙"]), "v").filing_id
    for item, last in (("甲", "passed"), ("乙", "not_passed")):
        filing_store.decide_item(fid, item, "review", "a")
        filing_store.decide_item(fid, item, last, "a")
    view = filing_store.finish_validation(fid, "a")
    assert (view.status, view.status_label) == ("not_passed", "校验未通过")


ITEM_EDGES = [(a, b) for a, targets in st.ITEM_TRANSITIONS.items() for b in sorted(targets)]
PATH_TO = {"pending": [], "review": ["review"], "onsite": ["review", "onsite"],
           "rectification": ["review", "rectification"]}


@pytest.mark.parametrize(("current", "target"), ITEM_EDGES)
def test_every_legal_item_transition(filing_store: FilingStore, make_validation: Validation, current: str,
                                     target: str) -> None:
    fid = filing_store.submit_validation(make_validation(items=["甲"]), "v").filing_id
    for step in PATH_TO[current]:
        filing_store.decide_item(fid, "甲", step, "a")
    view = filing_store.decide_item(fid, "甲", target, "b")
    assert view.items == {"甲": target}
    assert view.status == st.overall_from_items([target])


@pytest.mark.parametrize(("current", "target"), [("pending", "passed"), ("pending", "onsite"), ("onsite", "review")])
def test_illegal_item_transitions(filing_store: FilingStore, make_validation: Validation, current: str,
                                  target: str) -> None:
    fid = filing_store.submit_validation(make_validation(items=["甲"]), "v").filing_id
    for step in PATH_TO[current]:
        filing_store.decide_item(fid, "甲", step, "a")
    with pytest.raises(InvalidTransition) as info:
        filing_store.decide_item(fid, "甲", target, "a")
    assert (info.value.from_status, info.value.to_status) == (current, target)


def test_item_errors(filing_store: FilingStore, make_validation: Validation) -> None:
    fid = filing_store.submit_validation(make_validation(items=["甲"]), "v").filing_id
    with pytest.raises(UnknownItem):
        filing_store.decide_item(fid, "丙", "review", "a")
    with pytest.raises(InvalidData):
        filing_store.decide_item(fid, "甲", "approved", "a")
    with pytest.raises(FilingNotFound):
        filing_store.decide_item("MV20991231001", "甲", "review", "a")


def test_state_machine_tables_are_consistent() -> None:
    for kind, table in st.TRANSITIONS.items():
        for source, targets in table.items():
            assert source in st.STATUS_LABELS and targets <= set(st.STATUS_LABELS), kind
            assert source not in st.FINAL
    for source, targets in st.ITEM_TRANSITIONS.items():
        assert source in st.ITEM_LABELS and targets <= set(st.ITEM_LABELS)


def test_two_staff_approving_at_once(filing_store: FilingStore, make_notice: Notice) -> None:
    fid = filing_store.submit_lost_notice(make_notice(), "k").filing_id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(actor: str) -> None:
        barrier.wait()
        try:
            filing_store.approve(fid, actor)
            outcomes.append("ok")
        except InvalidTransition:
            outcomes.append("refused")

    threads = [threading.Thread(target=approve, args=(f"staff{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert [h[1] for h in filing_store.get(fid).history] == ["submitted", "approved"]  # type: ignore[union-attr]


def test_concurrent_publishes_get_distinct_numbers(filing_store: FilingStore, make_notice: Notice) -> None:
    ids = [filing_store.submit_lost_notice(make_notice(company_name=f"公司{i}"), f"k{i}").filing_id for i in range(5)]
    for fid in ids:
        filing_store.approve(fid, "a")
    barrier = threading.Barrier(len(ids))
    numbers: list[str | None] = []

    def publish(fid: str) -> None:
        barrier.wait()
        numbers.append(filing_store.publish(fid, "a").notice_number)

    threads = [threading.Thread(target=publish, args=(fid,)) for fid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(n or "" for n in numbers) == [f"XHA-YS-2026-{i:04d}" for i in range(1, 6)]
