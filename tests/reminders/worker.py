"""One worker of the two-worker scheduler test (run as a process): the in-process reminder job's `tick` with the
PostgreSQL job lock, `ticks` times, at a fixed moment; prints what each tick did as JSON lines.

python -m tests.reminders.worker DB_URL GATEWAY_URL SECRET START_FILE TICKS
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time
from pathlib import Path

from actions.filings import FilingStore
from actions.reminders.channels import build_channels
from actions.reminders.config import ReminderSettings
from actions.reminders.service import ReminderService
from assistant.ops.config import libpq_conninfo
from assistant.ops.locks import PgJobLock
from assistant.ops.scheduler import ReminderScheduler
from knowledge.clock import ManualClock

START = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)  # 09:00 in Qingdao


async def main(db_url: str, gateway: str, secret: str, start_file: Path, ticks: int) -> None:
    store = FilingStore(db_url, clock=ManualClock(START))
    cfg = ReminderSettings(smtp_host="", sms_webhook_url=gateway, sms_webhook_secret=secret, reminder_schedule="08:00")
    service = ReminderService(store, cfg, build_channels(cfg))
    scheduler = ReminderScheduler(service, PgJobLock(libpq_conninfo(db_url)), cfg.daily_at(), tick=0.05)
    while not start_file.exists():  # both workers start together
        time.sleep(0.01)
    for _ in range(ticks):
        report = await scheduler.tick()
        print(json.dumps(None if report is None else {"recorded": None if report.recorded is None
                                                      else len(report.recorded), "outcomes": report.outcomes}),
              flush=True)
    service.close()
    store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4]), int(sys.argv[5])))
