"""The login lock-out: failed logins counted atomically, per (account, client), per client and per account.

Every login attempt is *admitted* before its password is checked: one transaction counts it as a failure in three
counters (rows of `staff_login_counters`, always in the same order) with conditional UPDATEs, and refuses it when a
counter is full. Concurrent attempts therefore cannot exceed the limits (the database serialises the UPDATEs of a
row: SQLite's write lock, PostgreSQL's row lock, with the WHERE clause re-checked); a success gives back the
(account, client) count. Limits:

- (account, client): 5 failures lock this account *from this client* for 15 minutes (the right password is
  refused too). Someone guessing the admin's password locks only themselves out.
- client: 10 failures across accounts lock the client for 15 minutes (password spraying).
- account, from every client together: after 10 failures within an hour each further attempt must wait a
  growing interval (2, 4, 8 … at most 60 seconds) — a slow-down, never a lock-out, so that the admin can always
  log in from their own computer, at worst after a minute's wait.

A client is its IPv4 address or its IPv6 /64 (assistant/security/asgi.py `client_key`). Attempts are also
recorded one by one in `staff_login_attempts` (history); the counters alone decide.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Engine, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from assistant.security.asgi import client_key
from assistant.staff.db import staff_login_attempts, staff_login_counters
from knowledge.clock import Clock, as_utc, system_clock

MAX_FAILURES = 5  # per (account, client)
MAX_CLIENT_FAILURES = 10  # per client, across accounts
WINDOW = dt.timedelta(minutes=15)  # failures further apart than this do not add up
LOCK = dt.timedelta(minutes=15)  # from the last counted failure
SLOW_AFTER = 10  # failures of one account (every client) before the slow-down starts
SLOW_WINDOW = dt.timedelta(hours=1)
SLOW_MAX = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Lock:
    """An attempt refused: until when, and by which counter."""

    until: dt.datetime
    by: str  # "account" (this account from this client), "client" or "slowdown" (the account, everywhere)


class _Refused(Exception):
    def __init__(self, lock: Lock):
        super().__init__(lock.by)
        self.lock = lock


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int  # failures that lock (a lock-out counter) or that start the slow-down
    window: dt.timedelta
    by: str

    @property
    def slows(self) -> bool:
        return self.by == "slowdown"


def slow_interval(failures: int) -> dt.timedelta:
    """The wait between attempts on an account with this many recent failures (0 before the slow-down)."""
    if failures < SLOW_AFTER:
        return dt.timedelta(0)
    return min(SLOW_MAX, dt.timedelta(seconds=2 ** min(16, failures - SLOW_AFTER + 1)))


class LoginGuard:
    """Admits login attempts (counted as failures until `succeeded`) or refuses them with the lock in force."""

    def __init__(self, engine: Engine, clock: Clock = system_clock):
        self.engine = engine
        self.clock = clock

    def _counters(self, username: str, ip: str) -> list[_Counter]:
        client = client_key(ip)[:64]
        name = username[:64]
        return [_Counter(f"c:{client}", MAX_CLIENT_FAILURES, WINDOW, "client"),
                _Counter(f"uc:{name}|{client}", MAX_FAILURES, WINDOW, "account"),
                _Counter(f"u:{name}", SLOW_AFTER, SLOW_WINDOW, "slowdown")]

    def admit(self, username: str, ip: str) -> Lock | None:
        """Count this attempt in every counter and return None, or count nothing and return the lock in force."""
        now = self.clock()
        counters = self._counters(username, ip)
        try:
            with self.engine.begin() as conn:
                for counter in counters:
                    lock = self._take(conn, counter, now)
                    if lock is not None:
                        raise _Refused(lock)  # rolls back: none of the counters counts a refused attempt
        except _Refused as refused:
            return refused.lock
        return None

    def _take(self, conn: Connection, counter: _Counter, now: dt.datetime) -> Lock | None:
        t = staff_login_counters
        _ensure(conn, counter.key, now)
        # Start a new window when the old one ran out (a lock-out once the lock has run out).
        expired: ColumnElement[bool] = (t.c.failures < counter.limit) & (t.c.window_start <= now - counter.window)
        if counter.slows:
            expired = t.c.window_start <= now - counter.window
        else:
            expired = expired | ((t.c.failures >= counter.limit) & (t.c.last_at <= now - LOCK))
        conn.execute(update(t).where(t.c.key == counter.key, expired).values(failures=0, window_start=now))
        if counter.slows:
            failures = int(conn.execute(select(t.c.failures).where(t.c.key == counter.key)).scalar_one())
            wait = slow_interval(failures)
            allowed: ColumnElement[bool] = (t.c.failures < counter.limit) | (t.c.last_at <= now - wait)
        else:
            allowed = t.c.failures < counter.limit
        done = conn.execute(update(t).where(t.c.key == counter.key, allowed)
                            .values(failures=t.c.failures + 1, last_at=now))
        if done.rowcount == 1:
            return None
        row = conn.execute(select(t.c.failures, t.c.last_at).where(t.c.key == counter.key)).one()
        last = as_utc(row.last_at)
        return Lock(last + (slow_interval(int(row.failures)) if counter.slows else LOCK), counter.by)

    def succeeded(self, username: str, ip: str) -> None:
        """The attempt was right: give back this account's count on this client (the others stay)."""
        key = self._counters(username, ip)[1].key
        with self.engine.begin() as conn:
            conn.execute(update(staff_login_counters).where(staff_login_counters.c.key == key).values(failures=0))

    def refund(self, username: str, ip: str) -> None:
        """The attempt was admitted but its password never checked (the server was busy): uncount it."""
        t = staff_login_counters
        with self.engine.begin() as conn:
            for counter in self._counters(username, ip):
                conn.execute(update(t).where(t.c.key == counter.key, t.c.failures > 0).values(failures=t.c.failures - 1))

    def record(self, username: str, ip: str, ok: bool) -> None:
        """Keep the attempt in the history (`staff_login_attempts`)."""
        with self.engine.begin() as conn:
            conn.execute(insert(staff_login_attempts).values(username=username[:64], ip=ip[:64], ok=ok, at=self.clock()))


def _ensure(conn: Connection, key: str, now: dt.datetime) -> None:
    """The counter's row, made when missing (INSERT … ON CONFLICT DO NOTHING)."""
    values = {"key": key, "failures": 0, "window_start": now, "last_at": now}
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(postgresql.insert(staff_login_counters).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        conn.execute(sqlite.insert(staff_login_counters).values(**values).on_conflict_do_nothing())
    elif conn.execute(select(staff_login_counters.c.key).where(staff_login_counters.c.key == key)).first() is None:
        conn.execute(insert(staff_login_counters).values(**values))
