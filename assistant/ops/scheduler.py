"""The in-process daily reminder job: every worker looks once a `tick`; the one that gets the cross-worker job lock
(assistant/ops/locks.py) runs the daily pass once the configured time of day has come, and delivers what is due
(first attempts and retries). The records make the pass idempotent on top of the lock (actions/reminders), so N
workers send every reminder once. Off unless LINGLING_REMINDER_SCHEDULE is set; docs/operations.md."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from actions.reminders.service import PassReport, ReminderService
from assistant.ops.config import OpsSettings, is_postgres, libpq_conninfo
from assistant.ops.locks import FileJobLock, JobLock, LocalJobLock, PgJobLock
from assistant.settings import Settings
from knowledge.clock import beijing, beijing_date

log = logging.getLogger(__name__)
JOB = "reminders"


class ReminderScheduler:
    """Runs `service` at `daily_at` (Beijing) each day and delivers due reminders every `tick` seconds."""

    def __init__(self, service: ReminderService, lock: JobLock, daily_at: dt.time | None, tick: float = 60.0):
        self.service = service
        self.lock = lock
        self.daily_at = daily_at
        self.tick_seconds = tick
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> PassReport | None:
        """One look: None when another worker holds the job, else what this worker did."""
        async with self.lock.hold(JOB) as mine:
            if not mine:
                return None
            return await asyncio.to_thread(self._run)

    def _run(self) -> PassReport:
        now = self.service.now()
        recorded = None
        if self.daily_at is not None and beijing(now).time() >= self.daily_at:
            recorded = self.service.daily_pass()
        return PassReport(beijing_date(now), recorded, self.service.deliver())

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database or a channel is down: the next tick tries again
                log.exception("reminder job failed; trying again in %.0f s", self.tick_seconds)
            await asyncio.sleep(self.tick_seconds)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="lingling-reminders")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def job_lock(settings: Settings, opts: OpsSettings) -> JobLock:
    """PostgreSQL: an advisory lock; SQLite with several workers: a lock file; else in-process."""
    if is_postgres(settings.db_url):
        return PgJobLock(libpq_conninfo(settings.db_url), opts.db_connect_timeout)
    if opts.workers > 1:
        return FileJobLock(settings.data_dir / "locks")
    return LocalJobLock()


def start_scheduler(settings: Settings, service: ReminderService) -> ReminderScheduler | None:
    """The daily job when LINGLING_REMINDER_SCHEDULE is set (started), else None."""
    at = service.cfg.daily_at()
    if at is None:
        return None
    scheduler = ReminderScheduler(service, job_lock(settings, OpsSettings()), at, service.cfg.reminder_tick_seconds)
    scheduler.start()
    log.info("reminder job: daily at %s (Beijing), deliveries every %.0f s", at, scheduler.tick_seconds)
    return scheduler
