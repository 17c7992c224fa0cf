"""The in-process daily job: two worker processes on one PostgreSQL database look at the same moment, again and
again; the cross-worker job lock and the records make every reminder go out once."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from actions.filings import FilingStore
from actions.filings.institutions import InstitutionRegistry
from actions.reminders.config import ReminderSettings
from actions.reminders.service import ReminderService
from assistant.ops.locks import LocalJobLock
from assistant.ops.scheduler import ReminderScheduler
from knowledge.clock import ManualClock
from tests.needs import pg_schema
from tests.reminders.conftest import START, roster
from tests.reminders.test_channels import SECRET, Gateway

ROOT = Path(__file__).resolve().parents[2]
MANY = [(f"西海岸第{i}诊所", f"PDY{i:06d}37021117D2152", "2027-01-15", f"138{i:08d}", "") for i in range(12)]


@pytest.mark.postgres
def test_two_workers_on_postgresql_send_once(tmp_path: Path) -> None:
    gateway = Gateway()
    gateway.down = False
    try:
        with pg_schema("sched") as url:
            store = FilingStore(url, clock=ManualClock(START))
            store.migrate()
            registry = InstitutionRegistry(store)
            registry.commit_import(registry.preview_import("roster.csv", roster(MANY), "staff").id, "staff")
            go = tmp_path / "go"
            workers = [subprocess.Popen([sys.executable, "-m", "tests.reminders.worker", url, gateway.url, SECRET,
                                         str(go), "6"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True) for _ in range(2)]
            go.touch()
            outputs = [w.communicate(timeout=120) for w in workers]
            assert all(w.returncode == 0 for w in workers), [err[-2000:] for _, err in outputs]
            reports = [json.loads(line) for out, _ in outputs for line in out.splitlines()]
            assert len(reports) == 12
            ran = [r for r in reports if r is not None]
            assert sum(r["recorded"] for r in ran if r["recorded"] is not None) == 12  # the daily pass: once
            assert sum(r["outcomes"].get("sent", 0) for r in ran) == 12
            keys = [r["key"] for r in gateway.requests]
            assert len(keys) == 12 and len(set(keys)) == 12  # every institution told once, by one worker
            service = ReminderService(store, ReminderSettings(smtp_host="", sms_webhook_url="x"), channels={})
            assert {d.status for d in service.deliveries() if d.channel == "sms"} == {"sent"}
            store.close()
    finally:
        gateway.close()


def test_a_tick_skips_while_another_holds_the_job(store: FilingStore, clock: ManualClock,
                                                  registry: InstitutionRegistry) -> None:
    asyncio.run(_ticks(store, clock))


async def _ticks(store: FilingStore, clock: ManualClock) -> None:
    lock = LocalJobLock()
    service = ReminderService(store, ReminderSettings(smtp_host="", sms_webhook_url="", reminder_schedule="10:00"),
                              channels={}, clock=clock)
    scheduler = ReminderScheduler(service, lock, service.cfg.daily_at())
    async with lock.hold("reminders") as mine:
        assert mine
        assert await scheduler.tick() is None  # another worker holds it
    report = await scheduler.tick()
    assert report is not None and report.recorded is None  # 09:00: before the daily time
    clock.advance(hours=1)
    report = await scheduler.tick()
    assert report is not None and [r.institution_name for r in report.recorded or []] == ["康宁诊所", "仁和口腔门诊部"]
    report = await scheduler.tick()
    assert report is not None and report.recorded is None  # once a day
