"""Parsing for an asyncio server: off the event loop, a few texts at a time, a bounded queue.

One `ParseGate` per process serves every door that parses (the dialogue's chat doors and POST /model/parse).
A parse runs on the gate's own threads, never on the event loop and never on the threads other work shares
(static files, the database), so a flood of parse requests cannot stall /health, the notice board or the staff
login: they wait here, at most `max_waiting` of them for at most `max_wait` seconds, and beyond that they are
refused at once with `ParseBusy` (HTTP 503). A slot is held until its thread has really finished, also when the
client went away meanwhile, so abandoned requests cannot pile work up behind the gate.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from nlu.errors import ParseBusy
from nlu.types import Focus, ParseResult

PARSE_SLOTS = 2  # texts parsed at once per process (the encoder runs one text at a time anyway)
PARSE_WAIT_S = 8.0  # a text that waited longer is refused: its sender has given up
MAX_WAITING = 64  # texts waiting for a slot; more are refused at once


class Parser(Protocol):
    """What the gate runs: an NluPipeline (its cache answers repeated texts without a thread)."""

    def parse(self, text: str, today: dt.date | None = None, focus: Focus | None = None) -> ParseResult: ...

    def cached(self, text: str, today: dt.date | None = None, focus: Focus | None = None) -> ParseResult | None: ...


class ParseGate:
    """Bounded, off-loop parsing (create it inside the running event loop; `close()` at the end)."""

    def __init__(self, slots: int = PARSE_SLOTS, max_wait: float = PARSE_WAIT_S, max_waiting: int = MAX_WAITING):
        self.max_wait = max_wait
        self.max_waiting = max_waiting
        self._pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="parse")
        self._slots = asyncio.Semaphore(slots)
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """Texts waiting for a slot now."""
        return self._waiting

    async def parse(self, parser: Parser, text: str, today: dt.date, focus: Focus | None = None) -> ParseResult:
        """`parser.parse(text, today, focus)` on a parse thread; ParseBusy when the queue is full or the wait too long.

        A repeated text is answered from the parser's cache without a thread hop."""
        hit = parser.cached(text, today, focus)
        if hit is not None:
            return hit
        if self._waiting >= self.max_waiting:
            raise ParseBusy(f"{self._waiting} texts already wait for the parser")
        loop = asyncio.get_running_loop()
        queued = loop.time()
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        if loop.time() - queued > self.max_wait:
            self._slots.release()
            raise ParseBusy(f"waited {loop.time() - queued:.1f} s for the parser")
        try:
            future = loop.run_in_executor(self._pool, parser.parse, text, today, focus)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())  # when the thread is done, not the request
        return await asyncio.shield(future)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
