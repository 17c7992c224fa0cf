"""Validation expiry reminders as records: institutions of the registry due within 3 months, recorded once per
institution and due date, a delivery per channel that reaches them; applications cover their due date."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest

from actions.filings import FilingStore, ValidationData
from actions.filings.institutions import InstitutionRegistry
from actions.reminders.config import ReminderSettings
from actions.reminders.service import ReminderService
from tests.reminders.roster import roster_csv

Validation = Callable[..., ValidationData]
TODAY = date(2026, 11, 20)


@pytest.fixture
def service(filing_store: FilingStore) -> ReminderService:
    """Four institutions imported: due soon, due exactly in 3 months, due later, already expired."""
    registry = InstitutionRegistry(filing_store)
    rows = [("康宁诊所", "REG0000001", "2026-12-31", "kangning@example.com"),
            ("仁和口腔门诊部", "REG0000002", "2027-02-20", ""),
            ("海青卫生室", "REG0000003", "2027-02-21", ""),
            ("旧城医务室", "REG0000004", "2026-11-19", "")]
    data = roster_csv([{"机构名称": n, "登记号": r, "有效期至": d, "联系人": "王丽", "联系电话": f"1380000000{i}",
                        "电子邮箱": e} for i, (n, r, d, e) in enumerate(rows)])
    registry.commit_import(registry.preview_import("list.csv", data, "staff").id, "staff")
    return ReminderService(filing_store, ReminderSettings(smtp_host="", sms_webhook_url=""), channels={})


def test_due_within_three_months(service: ReminderService) -> None:
    due = service.due(TODAY)
    assert [(r.institution_name, r.due_date) for r in due] == [
        ("康宁诊所", date(2026, 12, 31)), ("仁和口腔门诊部", date(2027, 2, 20))]
    assert all(r.recorded_at is None for r in due)
    assert "2026年12月31日" in due[0].message and "康宁诊所" in due[0].message
    assert service.outbox() == []  # listing records nothing


def test_recorded_once_with_a_chat_delivery_each(service: ReminderService) -> None:
    first = service.record(TODAY)
    assert {r.registration_number for r in first} == {"REG0000001", "REG0000002"}
    assert all(r.recorded_at is not None for r in first)
    assert service.record(TODAY) == []
    later = service.record(date(2026, 11, 25))  # one more falls due; the others stay recorded
    assert [r.registration_number for r in later] == ["REG0000003"]
    assert len(service.outbox()) == 3
    assert sorted((d.registration_number, d.channel, d.status) for d in service.deliveries()) == [
        ("REG0000001", "chat", "pending"), ("REG0000002", "chat", "pending"), ("REG0000003", "chat", "pending")]


def test_an_application_covers_its_due_date(service: ReminderService, make_validation: Validation) -> None:
    service.store.submit_validation(make_validation(institution_name="康宁诊所", registration_number="REG0000001",
                                                    license_valid_until=date(2026, 12, 31)), "apply")
    assert [r.registration_number for r in service.due(TODAY)] == ["REG0000002"]
    # a validation not passed does not cover it: the institution is reminded again
    view = service.store.list_filings("medical_validation")[0]
    for item in view.items:
        service.store.decide_item(view.filing_id, item, "review", "staff")
        service.store.decide_item(view.filing_id, item, "not_passed", "staff")
    service.store.finish_validation(view.filing_id, "staff")
    assert [r.registration_number for r in service.due(TODAY)] == ["REG0000001", "REG0000002"]


def test_daily_pass_runs_once_a_day(service: ReminderService) -> None:
    assert service.daily_pass(TODAY) is not None
    assert service.daily_pass(TODAY) is None
    assert [r.registration_number for r in service.daily_pass(date(2026, 11, 21)) or []] == ["REG0000003"]


def test_concurrent_runs_record_once(service: ReminderService) -> None:
    barrier = threading.Barrier(3)
    counts: list[int] = []

    def run() -> None:
        barrier.wait()
        counts.append(len(service.record(TODAY)))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(counts) == 2 and len(service.outbox()) == 2 and len(service.deliveries()) == 2
