"""A daemon thread that calls `check()` every `interval` seconds until stopped (following a knowledge store)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Poller:
    """Runs `check` periodically; an exception is logged and the next round tries again."""

    def __init__(self, check: Callable[[], object], name: str):
        self.check = check
        self.name = name  # thread name, also in the log line of a failed round
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, interval: float = 1.0) -> None:
        """Start checking every `interval` seconds (no-op when already running)."""
        if self._thread is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.check()
                except Exception:  # noqa: BLE001 - e.g. the database is briefly away: keep what we have
                    log.exception("%s failed", self.name)

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait (at most 5 s) for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
