"""Validation expiry reminders: institutions fed by applications, due within 3 months, recorded once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest

from actions.filings import FilingStore, Reminder, ValidationData

Validation = Callable[..., ValidationData]
TODAY = date(2026, 11, 20)


@pytest.fixture
def institutions(filing_store: FilingStore, make_validation: Validation) -> FilingStore:
    """Four institutions: due soon, due exactly in 3 months, due later, already expired."""
    for i, (name, until) in enumerate([
        ("康宁诊所", date(2026, 12, 31)),
        ("仁和口腔门诊部", date(2027, 2, 20)),
        ("海青卫生室", date(2027, 2, 21)),
        ("旧城医务室", date(2026, 11, 19)),
    ]):
        filing_store.submit_validation(
            make_validation(institution_name=name, registration_number=f"REG-{i}", license_valid_until=until), f"k{i}")
    return filing_store


def test_due_within_three_months(institutions: FilingStore) -> None:
    due = institutions.due_reminders(TODAY)
    assert [(r.institution_name, r.due_date) for r in due] == [
        ("康宁诊所", date(2026, 12, 31)), ("仁和口腔门诊部", date(2027, 2, 20))]
    assert all(r.recorded_at is None for r in due)
    assert "2026年12月31日" in due[0].message and "康宁诊所" in due[0].message
    assert institutions.outbox() == []  # listing records nothing


def test_recorded_once(institutions: FilingStore) -> None:
    first = institutions.record_reminders(TODAY)
    assert {r.registration_number for r in first} == {"REG-0", "REG-1"}
    assert all(r.recorded_at is not None for r in first)
    assert institutions.record_reminders(TODAY) == []
    later = institutions.record_reminders(date(2026, 11, 25))  # one more falls due; the others stay recorded
    assert [r.registration_number for r in later] == ["REG-2"]
    assert len(institutions.outbox()) == 3


def test_new_due_date_after_validation_gets_a_new_reminder(institutions: FilingStore,
                                                           make_validation: Validation) -> None:
    institutions.record_reminders(TODAY)
    institutions.submit_validation(
        make_validation(institution_name="康宁诊所（更名）", registration_number="REG-0",
                        license_valid_until=date(2027, 1, 10)), "again")
    new = institutions.record_reminders(TODAY)
    assert [(r.registration_number, r.due_date, r.institution_name) for r in new] == [
        ("REG-0", date(2027, 1, 10), "康宁诊所（更名）")]


class Collecting:
    def __init__(self) -> None:
        self.seen: list[Reminder] = []

    def notify(self, reminder: Reminder) -> None:
        self.seen.append(reminder)


class Failing:
    def notify(self, reminder: Reminder) -> None:
        raise RuntimeError("SMS gateway down")


def test_pluggable_notifier(institutions: FilingStore) -> None:
    failing = institutions.record_reminders(TODAY, notifier=Failing())
    assert failing == [] and institutions.outbox() == []  # not recorded: retried next run
    notifier = Collecting()
    recorded = institutions.record_reminders(TODAY, notifier=notifier)
    assert notifier.seen == recorded and len(recorded) == 2
    assert institutions.record_reminders(TODAY, notifier=notifier) == [] and len(notifier.seen) == 2


def test_concurrent_runs_record_once(institutions: FilingStore) -> None:
    barrier = threading.Barrier(3)
    counts: list[int] = []

    def run() -> None:
        barrier.wait()
        counts.append(len(institutions.record_reminders(TODAY)))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(counts) == 2 and len(institutions.outbox()) == 2
