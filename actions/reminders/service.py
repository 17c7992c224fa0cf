"""`ReminderService`: the daily pass (record each due reminder once, with a delivery per channel) and the
delivery of what is due (sent, or retried with back-off, or failed for a reviewer to see), over the filing store.

The pass is idempotent: reminders are unique per institution and due date, deliveries per reminder and channel,
and each delivery is claimed by one runner before it is sent — N workers or a timer and a worker running at once
send every reminder once. The in-process job (assistant/ops/scheduler.py) and `lingling reminders` both call `run`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.orm import Session

from actions.filings import reminders as records
from actions.filings.store import FilingStore
from actions.filings.types import DeliveryView, Reminder
from actions.reminders.channels import Channel, DeliveryFailed, build_channels
from actions.reminders.config import ReminderSettings
from knowledge.clock import Clock, beijing, beijing_date

log = logging.getLogger(__name__)
STALE_CLAIM = dt.timedelta(minutes=10)  # a delivery left `sending` this long (its runner died) is claimed again


@dataclass(frozen=True)
class PassReport:
    """What one run did: the daily pass (None when today's had already run) and the deliveries attempted."""

    day: dt.date
    recorded: list[Reminder] | None
    outcomes: dict[str, int] = field(default_factory=dict)  # status after the attempt -> count

    @property
    def sent(self) -> int:
        return self.outcomes.get(records.SENT, 0)


class ReminderService:
    """Records and delivers validation expiry reminders; `channels` default to those `cfg` configures."""

    def __init__(self, store: FilingStore, cfg: ReminderSettings | None = None,
                 channels: dict[str, Channel] | None = None, clock: Clock | None = None, worker: str = ""):
        self.store = store
        self.cfg = cfg or ReminderSettings()
        self.channels = build_channels(self.cfg) if channels is None else channels
        self.clock: Clock = clock or store.now
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"

    def now(self) -> dt.datetime:
        return self.clock()

    # -- the daily pass ---------------------------------------------------------------------------
    def due(self, today: dt.date | None = None) -> list[Reminder]:
        """Institutions due within the configured months (nothing recorded)."""
        day = today or beijing_date(self.now())
        return self.store.read(lambda s: records.due(s, day, self.cfg.reminder_months))

    def record(self, today: dt.date | None = None) -> list[Reminder]:
        """Record each due reminder once, with a pending delivery per channel in use; the new ones."""
        now = self.now()
        day = today or beijing_date(now)
        channels = [c for c in self.cfg.channels() if c == "chat" or c in self.channels]
        return records.record(self.store.session, day, now, channels, self.cfg.reminder_months)

    def daily_pass(self, today: dt.date | None = None) -> list[Reminder] | None:
        """Today's recording, once per day: None when today's pass already ran (anywhere)."""
        now = self.now()
        day = today or beijing_date(now)
        if not self.store.write(lambda s: records.start_run(s, day, now, self.worker)):
            return None
        recorded = self.record(day)
        self.store.write(lambda s: records.finish_run(s, day, self.now(), len(recorded)))
        log.info("reminder pass %s: %d new reminder(s)", day, len(recorded))
        return recorded

    # -- delivering -------------------------------------------------------------------------------
    def in_send_hours(self) -> bool:
        window = self.cfg.send_window()
        if window is None:
            return True
        at = beijing(self.now()).time()
        return window[0] <= at < window[1]

    def deliver(self, limit: int = 200) -> dict[str, int]:
        """Send the deliveries that are due on the sending channels (within the send hours); status -> count."""
        if not self.channels or not self.in_send_hours():
            return {}
        claimed = self.store.write(lambda s: records.claim(s, self.now(), list(self.channels), limit, STALE_CLAIM))
        outcomes: Counter[str] = Counter()
        for d in claimed:
            error, permanent = None, False
            try:
                self.channels[d.channel].send(d)
            except DeliveryFailed as exc:
                error, permanent = str(exc), exc.permanent
            except Exception as exc:  # a bug in a channel must not lose the delivery: it is retried
                log.exception("reminder channel %s failed unexpectedly", d.channel)
                error = f"{exc.__class__.__name__}: {exc}"
            status = self.store.write(partial(self._settle, delivery_id=d.id, error=error, permanent=permanent))
            outcomes[status] += 1
            if error:
                log.warning("reminder delivery %d (%s) %s: %s", d.id, d.channel, status, error[:200])
        return dict(outcomes)

    def _settle(self, s: Session, *, delivery_id: int, error: str | None, permanent: bool) -> str:
        return records.settle(s, delivery_id, self.now(), error, permanent, self.cfg.reminder_max_attempts,
                              self.cfg.backoff)

    def run(self, today: dt.date | None = None) -> PassReport:
        """The daily pass (when not yet run today) and then the deliveries that are due."""
        recorded = self.daily_pass(today)
        outcomes = self.deliver()
        return PassReport(today or beijing_date(self.now()), recorded, outcomes)

    # -- the chat channel and reviewers -----------------------------------------------------------
    def tell_in_chat(self, registration_number: str) -> list[DeliveryView]:
        """The institution's chat reminders not yet told (now marked sent): it has just identified itself."""
        if not self.cfg.reminder_chat:
            return []
        return self.store.write(lambda s: records.chat_pending(s, registration_number.strip().upper(), self.now()))

    def deliveries(self, status: str = "", limit: int = 200) -> list[DeliveryView]:
        return self.store.read(lambda s: records.deliveries(s, status, limit))

    def outbox(self, limit: int = 100) -> list[Reminder]:
        return self.store.read(lambda s: records.outbox(s, limit))

    def retry(self, delivery_id: int) -> bool:
        """A reviewer's 重新发送 of a failed delivery."""
        return self.store.write(lambda s: records.retry(s, delivery_id, self.now()))

    def close(self) -> None:
        for channel in self.channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                close()
