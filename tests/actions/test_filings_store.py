"""Submitting filings: ids, idempotency (also under concurrency), views, status look-ups."""

from __future__ import annotations

import json
import multiprocessing
import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from actions.filings import (
    FilingStore,
    IdempotencyConflict,
    InvalidData,
    LostNoticeData,
    ValidationData,
)
from actions.filings.dates import add_months, add_working_days
from knowledge.clock import beijing_date
from tests.actions.conftest import FakeClock


def test_ids_have_prefix_date_and_a_random_part(filing_store: FilingStore, filing_clock: FakeClock,
                                                make_notice: Callable[..., LostNoticeData],
                                                make_validation: Callable[..., ValidationData]) -> None:
    a = filing_store.submit_lost_notice(make_notice(), "k-a")
    b = filing_store.submit_lost_notice(make_notice(company_name="另一家公司"), "k-b")
    v = filing_store.submit_validation(make_validation(), "k-v")
    random_part = "[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}"  # no 0/O/1/I: read out on the phone without doubt
    assert re.fullmatch(rf"LN20261120-{random_part}", a.filing_id) and re.fullmatch(rf"LN20261120-{random_part}", b.filing_id)
    assert re.fullmatch(rf"MV20261120-{random_part}", v.filing_id) and a.filing_id != b.filing_id
    filing_clock.advance(hours=15, minutes=30)  # 16:30 UTC = 00:30 next day in Qingdao: the next Beijing day
    c = filing_store.submit_lost_notice(make_notice(), "k-c")
    assert c.filing_id.startswith("LN20261121-")
    assert filing_store.get(c.filing_id.replace("-", " ").lower()) == filing_store.get(c.filing_id)  # as dictated


def test_view_fields(filing_store: FilingStore, make_notice: Callable[..., LostNoticeData]) -> None:
    view = filing_store.submit_lost_notice(make_notice(), "key-1", actor="applicant")
    assert view.kind == "lost_notice"
    assert (view.status, view.status_label) == ("submitted", "已提交，待审核")
    assert view.applicant == "青岛西海岸新区海味餐饮有限公司"
    assert view.submitted_at.tzinfo is not None and view.submitted_at.utcoffset() == timedelta(hours=8)
    assert view.submitted_at.astimezone(UTC).replace(microsecond=0) == datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    assert view.data["lost_date"] == "2026-11-02"
    json.dumps(view.data)  # JSON-safe
    assert view.items == {} and view.due_date is None and view.notice_number is None and view.published_on is None
    assert [(f, t, a) for f, t, a, _ in view.history] == [("", "submitted", "applicant")]
    assert filing_store.get(view.filing_id) == view
    assert filing_store.get(view.filing_id.lower()) == view
    assert filing_store.get("LN20991231999") is None


def test_validation_view_items_and_promise(filing_store: FilingStore,
                                           make_validation: Callable[..., ValidationData]) -> None:
    view = filing_store.submit_validation(make_validation(items=["甲", "乙", "甲", " "]), "v-1")
    assert view.kind == "medical_validation" and view.applicant == "黄岛区康宁诊所"
    assert view.items == {"甲": "pending", "乙": "pending"}
    assert view.data["items"] == ["甲", "乙"]
    assert view.due_date == date(2026, 12, 4)  # Friday + 10 working days
    assert not view.overdue(date(2026, 12, 4)) and view.overdue(date(2026, 12, 5))


def test_validation_needs_items(filing_store: FilingStore, make_validation: Callable[..., ValidationData]) -> None:
    with pytest.raises(InvalidData):
        filing_store.submit_validation(make_validation(items=["  "]), "v-empty")


def test_store_rechecks_types(filing_store: FilingStore, make_notice: Callable[..., LostNoticeData]) -> None:
    raw: Any = {**make_notice().model_dump(), "lost_date": "not a date"}
    with pytest.raises(InvalidData):
        filing_store.submit_lost_notice(raw, "bad")
    ok = filing_store.submit_lost_notice(make_notice().model_dump(), "dict-ok")  # type: ignore[arg-type]
    assert ok.status == "submitted"


def test_same_key_same_filing(filing_store: FilingStore, make_notice: Callable[..., LostNoticeData]) -> None:
    first = filing_store.submit_lost_notice(make_notice(), "sender-1:form-1")
    again = filing_store.submit_lost_notice(make_notice(), "sender-1:form-1")
    assert again == first
    assert len(filing_store.list_filings()) == 1


def test_same_key_other_content_is_refused(filing_store: FilingStore, make_notice: Callable[..., LostNoticeData],
                                           make_validation: Callable[..., ValidationData]) -> None:
    filing_store.submit_lost_notice(make_notice(), "k")
    with pytest.raises(IdempotencyConflict):
        filing_store.submit_lost_notice(make_notice(company_name="别的公司"), "k")
    with pytest.raises(IdempotencyConflict):
        filing_store.submit_validation(make_validation(), "k")
    assert len(filing_store.list_filings()) == 1


def test_long_keys_and_bad_keys(filing_store: FilingStore, make_notice: Callable[..., LostNoticeData]) -> None:
    key = "x" * 5000
    assert filing_store.submit_lost_notice(make_notice(), key) == filing_store.submit_lost_notice(make_notice(), key)
    with pytest.raises(InvalidData):
        filing_store.submit_lost_notice(make_notice(), "  ")
    with pytest.raises(InvalidData):
        filing_store.submit_lost_notice(make_notice(), "k2", actor="")


def _in_threads(n: int, fn: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:  # collected and asserted by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_submits_with_one_key_make_one_filing(filing_db_url: str, filing_clock: FakeClock,
                                                         make_notice: Callable[..., LostNoticeData]) -> None:
    stores = [FilingStore(filing_db_url, clock=filing_clock) for _ in range(2)]
    stores[0].migrate()
    try:
        results = _in_threads(8, lambda i: stores[i % 2].submit_lost_notice(make_notice(), "same-key"))
        assert not [r for r in results if isinstance(r, Exception)], results
        assert len({r.filing_id for r in results}) == 1
        assert len(stores[0].list_filings()) == 1
    finally:
        for s in stores:
            s.close()


def test_concurrent_submits_with_other_keys_get_distinct_ids(filing_store: FilingStore,
                                                             make_notice: Callable[..., LostNoticeData]) -> None:
    results = _in_threads(6, lambda i: filing_store.submit_lost_notice(make_notice(), f"key-{i}"))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.filing_id for r in results}) == 6 and all(r.filing_id.startswith("LN20261120-") for r in results)


def _submit_in_process(url: str, key: str) -> str:
    data = LostNoticeData(company_name="进程测试有限公司", uscc="91370211MA3C4X5Y6Z", license_type="食品经营许可证",
                          license_number="JY1", lost_date=date(2026, 11, 1), circumstances="遗失",
                          contact_name="王", contact_phone="13900001111")
    store = FilingStore(url)
    try:
        return store.submit_lost_notice(data, key).filing_id
    finally:
        store.close()


def test_concurrent_submits_from_two_processes(filing_store: FilingStore) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        ids = pool.starmap(_submit_in_process, [(filing_store.db_url, "proc-key")] * 4)
    assert len(set(ids)) == 1
    assert len(filing_store.list_filings()) == 1


def test_confirmed_submission_survives_a_new_store(filing_store: FilingStore,
                                                   make_notice: Callable[..., LostNoticeData]) -> None:
    view = filing_store.submit_lost_notice(make_notice(), "durable")
    filing_store.close()  # as if the process ended right after answering
    other = FilingStore(filing_store.db_url)
    try:
        assert other.get(view.filing_id) is not None
    finally:
        other.close()


def test_status_for_checks_the_phone(filing_store: FilingStore, make_notice: Callable[..., LostNoticeData],
                                     make_validation: Callable[..., ValidationData]) -> None:
    n = filing_store.submit_lost_notice(make_notice(contact_phone="138 1234 5678"), "p1")
    v = filing_store.submit_validation(make_validation(contact_phone="0532-8688 7766"), "p2")
    assert filing_store.status_for(n.filing_id, "5678") == n
    assert filing_store.status_for(n.filing_id.lower(), "5678") == n
    assert filing_store.status_for(v.filing_id, "7766") == v
    for wrong in ("5679", "", "56", "abcd", "45678"):
        assert filing_store.status_for(n.filing_id, wrong) is None
    assert filing_store.status_for("LN20991231001", "5678") is None


def test_list_filings_filters_and_pages(filing_store: FilingStore, filing_clock: FakeClock,
                                        make_notice: Callable[..., LostNoticeData],
                                        make_validation: Callable[..., ValidationData]) -> None:
    made = []
    for i in range(3):
        made.append(filing_store.submit_lost_notice(make_notice(), f"n{i}").filing_id)
        filing_clock.advance(minutes=1)
    filing_store.submit_validation(make_validation(), "v")
    assert [v.filing_id for v in filing_store.list_filings(kind="lost_notice")] == made[::-1]
    assert [v.filing_id for v in filing_store.list_filings(limit=2, offset=1)] == [made[2], made[1]]
    assert [v.kind for v in filing_store.list_filings(status="submitted", kind="medical_validation")] == [
        "medical_validation"]


def test_working_days_and_months() -> None:
    assert add_working_days(date(2026, 11, 20), 10) == date(2026, 12, 4)  # Friday
    assert add_working_days(date(2026, 11, 21), 10) == date(2026, 12, 4)  # Saturday counts from Monday
    assert add_working_days(date(2026, 11, 23), 10) == date(2026, 12, 7)  # Monday
    assert add_working_days(date(2026, 11, 23), 1, holidays=frozenset({date(2026, 11, 24)})) == date(2026, 11, 25)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 10, 15), 3) == date(2027, 1, 15)
    assert beijing_date(datetime(2026, 11, 20, 16, 30, tzinfo=UTC)) == date(2026, 11, 21)
