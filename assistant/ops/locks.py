"""Per-sender locks that hold across worker processes.

The DialogueManager handles the messages of one sender one at a time inside a process (an asyncio lock).
With several worker processes the same sender may reach two of them at once (two tabs, a double click, a
retry); these locks extend "one at a time" across processes:

- `PgSenderLock`: a session-level PostgreSQL advisory lock keyed by a hash of the sender id, held on a
  dedicated asyncio connection (psycopg 3) for as long as the message is handled. A worker that dies
  loses its connection and PostgreSQL releases its locks at once.
- `FileSenderLock`: `flock` on one of 256 lock files in the data folder (SQLite with several workers on
  one machine).

Both are async context managers per sender: `async with lock(sender_id): ...`. Waiting never blocks the
event loop or a thread, and is bounded (`timeout`): then `SenderLockUnavailable` (HTTP 503).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from assistant.errors import Unavailable

log = logging.getLogger(__name__)

LOCK_CLASS = 0x4C494E47  # "LING": the first key of every advisory lock taken here
STRIPES = 256  # lock files of FileSenderLock
SenderLock = Callable[[str], AbstractAsyncContextManager[None]]


class SenderLockUnavailable(Unavailable):
    """The sender's lock could not be taken in time (or its database is down)."""


def sender_key(sender_id: str) -> int:
    """A signed 32-bit key for the sender (collisions only make two senders wait for each other)."""
    digest = hashlib.blake2b(sender_id.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


class PgSenderLock:
    """Advisory locks on a small pool of dedicated psycopg async connections (at most `pool` per process)."""

    def __init__(self, conninfo: str, pool: int = 32, timeout: float = 30.0, connect_timeout: int = 5):
        self.conninfo = conninfo
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._slots = asyncio.Semaphore(pool)
        self._idle: list[Any] = []  # psycopg.AsyncConnection
        self._closed = False

    async def _connect(self) -> Any:
        import psycopg

        conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True,
                                                     connect_timeout=self.connect_timeout)
        # A lock wait longer than our own timeout is cut by the server as well.
        await conn.execute(f"SET lock_timeout = '{int(self.timeout * 1000)}ms'")
        await conn.execute("SET application_name = 'lingling-sender-lock'")
        return conn

    async def _checkout(self) -> Any:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed and not conn.broken:
                return conn
        return await self._connect()

    @asynccontextmanager
    async def __call__(self, sender_id: str) -> AsyncIterator[None]:
        key = sender_key(sender_id)
        loop = asyncio.get_running_loop()
        queued = loop.time()
        await self._slots.acquire()  # no wait_for here: a timeout racing the wake-up would lose a slot
        if loop.time() - queued > self.timeout:
            self._slots.release()
            raise SenderLockUnavailable("系统繁忙，请稍后再试。", "no free sender-lock connection")
        try:
            conn = None
            try:
                conn = await asyncio.wait_for(self._checkout(), self.timeout)
                await asyncio.wait_for(conn.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_CLASS, key)),
                                       self.timeout + 1)
            except BaseException as exc:  # database down, lock timeout, or the request was cancelled
                if conn is not None:
                    await _close_quietly(conn)  # ends the session: a lock it may have got is released
                if not isinstance(exc, Exception):
                    raise
                log.warning("sender lock unavailable: %s", exc)
                raise SenderLockUnavailable("系统暂时无法处理您的消息，请稍后再试，或拨打大厅咨询电话。",
                                            f"sender lock: {exc.__class__.__name__}") from exc
            try:
                yield
            finally:
                try:
                    await asyncio.wait_for(conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, key)), 5)
                except BaseException as exc:  # the session is gone or broken (or we are cancelled): closing releases the lock
                    await _close_quietly(conn)
                    if not isinstance(exc, Exception):
                        raise
                else:
                    if self._closed:
                        await _close_quietly(conn)
                    else:
                        self._idle.append(conn)
        finally:
            self._slots.release()

    async def aclose(self) -> None:
        """Close the idle connections (locks in use close on release)."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            await _close_quietly(conn)


async def _close_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(conn.close(), 5)


class FileSenderLock:
    """flock on `folder/sender-NNN.lock` (256 stripes); polled without blocking, for SQLite on one machine."""

    def __init__(self, folder: Path, timeout: float = 30.0):
        self.folder = folder
        self.timeout = timeout
        folder.mkdir(parents=True, exist_ok=True)

    def path(self, sender_id: str) -> Path:
        return self.folder / f"sender-{sender_key(sender_id) % STRIPES:03d}.lock"

    @asynccontextmanager
    async def __call__(self, sender_id: str) -> AsyncIterator[None]:
        fd = os.open(self.path(sender_id), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.timeout
            delay = 0.001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                if loop.time() >= deadline:
                    raise SenderLockUnavailable("系统繁忙，请稍后再试。", "sender lock file busy")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.05)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


# ---- job locks: "whoever holds it runs the job now; the others skip" (the reminders' in-process daily job) -------
JOB_CLASS = 0x4A4F4253  # "JOBS": the first key of job advisory locks (never a sender's)


class JobLock(Protocol):
    """`async with lock.hold(name) as mine:` — `mine` is True in the one worker that got it; never waits."""

    def hold(self, name: str) -> AbstractAsyncContextManager[bool]: ...


class PgJobLock:
    """pg_try_advisory_lock on a connection of its own for the time the job runs (released if the worker dies)."""

    def __init__(self, conninfo: str, connect_timeout: int = 5):
        self.conninfo = conninfo
        self.connect_timeout = connect_timeout

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        import psycopg

        key = sender_key(f"job:{name}")
        conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True,
                                                     connect_timeout=self.connect_timeout)
        try:
            await conn.execute("SET application_name = 'lingling-job-lock'")
            cur = await conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (JOB_CLASS, key))
            row = await cur.fetchone()
            got = bool(row and row[0])
            try:
                yield got
            finally:
                if got:
                    with contextlib.suppress(Exception):
                        await conn.execute("SELECT pg_advisory_unlock(%s, %s)", (JOB_CLASS, key))
        finally:
            await _close_quietly(conn)


class FileJobLock:
    """flock(LOCK_NB) on `folder/job-<name>.lock` (SQLite with several workers on one machine)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        fd = os.open(self.folder / f"job-{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                got = True
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                got = False
            try:
                yield got
            finally:
                if got:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class LocalJobLock:
    """One process: an asyncio lock tried without waiting."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        lock = self._locks.setdefault(name, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            yield True
