"""Attempt limits on status look-ups (a filing reference + the last four digits of its contact phone).

Each look-up is *admitted* first: one transaction counts it as failed in two counters (rows of
`filing_lookup_counters`) with conditional UPDATEs, so concurrent guesses cannot exceed a limit; a right answer
gives the filing's count back. Limits:

- per filing: 5 wrong answers within 24 hours stop look-ups of that filing (the right answer too) until a day after
  the last one — the 10,000 possible last-four digits cannot be tried out;
- per client (the web door's client tag, else the conversation): 20 wrong answers within an hour stop that
  client's look-ups for an hour, whatever the filing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from actions.filings.tables import LookupCounter

COUNTERS: Table = LookupCounter.__table__  # type: ignore[assignment]

FILING_LIMIT = 5
FILING_WINDOW = dt.timedelta(hours=24)
CLIENT_LIMIT = 20
CLIENT_WINDOW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int
    window: dt.timedelta  # failures further apart do not add up; a full counter stays full this long
    which: str  # "filing" or "client"


def limits(filing_id: str, client: str) -> list[Limit]:
    """The counters of one look-up (an existing filing's, the client's), always in this order (no deadlock
    between concurrent look-ups)."""
    out = []
    if filing_id:
        out.append(Limit(f"f:{filing_id[:64]}", FILING_LIMIT, FILING_WINDOW, "filing"))
    if client:
        out.append(Limit(f"c:{client[:128]}", CLIENT_LIMIT, CLIENT_WINDOW, "client"))
    return out


def take(session: Session, counter: Limit, now: dt.datetime) -> bool:
    """Count one failure unless the counter is full; False when it is (nothing counted)."""
    t = COUNTERS
    _ensure(session, counter.key, now)
    expired: ColumnElement[bool] = ((t.c.failures < counter.limit) & (t.c.window_start <= now - counter.window)) | \
        ((t.c.failures >= counter.limit) & (t.c.last_at <= now - counter.window))
    session.execute(update(t).where(t.c.key == counter.key, expired).values(failures=0, window_start=now))
    done = session.execute(update(t).where(t.c.key == counter.key, t.c.failures < counter.limit)
                           .values(failures=t.c.failures + 1, last_at=now))
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def give_back(session: Session, counter: Limit) -> None:
    """Uncount one failure (the look-up was right)."""
    t = COUNTERS
    session.execute(update(t).where(t.c.key == counter.key, t.c.failures > 0).values(failures=t.c.failures - 1))


def _ensure(session: Session, key: str, now: dt.datetime) -> None:
    t = COUNTERS
    values = {"key": key, "failures": 0, "window_start": now, "last_at": now}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(t).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(t).values(**values).on_conflict_do_nothing())
    elif session.execute(select(t.c.key).where(t.c.key == key)).first() is None:
        session.execute(insert(t).values(**values))
