"""Retention: conversations (dialogue state and turns) and handoff tickets (with what staff replied) older than
LINGLING_RETENTION_DAYS are deleted — a ticket counts from its last change, so an open one is kept while handled.

Filings are records of the administration and are kept; so are the staff console's own tables (the audit log
keeps that a ticket existed, its personal data masked). Run by
`lingling purge` (e.g. daily from cron or a systemd timer) and, with LINGLING_PURGE_ON_START=true, at start-up.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import DBAPIError

from assistant.dialogue.db import conversations, turns
from assistant.handoff.desk import purge_tickets
from knowledge.clock import system_clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (or, dry run, would remove)."""

    cutoff: dt.datetime
    conversations: int
    turns: int
    dry_run: bool = False
    tickets: int = 0  # handoff tickets (and their replies)

    def line(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        return (f"{verb} {self.conversations} conversation(s), {self.turns} turn(s) and {self.tickets} handoff "
                f"ticket(s) last active before {self.cutoff.isoformat(timespec='seconds')}")


def cutoff_for(days: int, now: dt.datetime | None = None) -> dt.datetime:
    """The moment before which conversations are purged."""
    if days < 1:
        raise ValueError("retention must be at least one day")
    return (now or system_clock()) - dt.timedelta(days=days)


def purge(db: Engine, days: int, now: dt.datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Delete conversation states not updated, turns not recorded and handoff tickets not changed within the last
    `days` days."""
    cutoff = cutoff_for(days, now)
    old_states = conversations.c.updated_at < cutoff
    old_turns = turns.c.created_at < cutoff
    try:
        if dry_run:
            with db.connect() as conn:
                n_conv = int(conn.scalar(select(func.count()).select_from(conversations).where(old_states)) or 0)
                n_turns = int(conn.scalar(select(func.count()).select_from(turns).where(old_turns)) or 0)
        else:
            with db.begin() as conn:
                n_conv = int(conn.execute(delete(conversations).where(old_states)).rowcount or 0)
                n_turns = int(conn.execute(delete(turns).where(old_turns)).rowcount or 0)
    except DBAPIError as exc:  # no dialogue tables yet: nothing to purge
        log.info("retention purge: no conversation tables (%s)", exc.__class__.__name__)
        return PurgeReport(cutoff, 0, 0, dry_run)
    try:
        n_tickets = purge_tickets(db, cutoff, dry_run)
    except DBAPIError as exc:  # no handoff tables yet
        log.info("retention purge: no handoff tables (%s)", exc.__class__.__name__)
        n_tickets = 0
    report = PurgeReport(cutoff, n_conv, n_turns, dry_run, n_tickets)
    log.info("retention purge (%d days): %s", days, report.line())
    return report
