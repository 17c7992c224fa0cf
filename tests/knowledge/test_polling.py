"""The store poller keeps going after a failed round and stops when told."""

from __future__ import annotations

import time

from knowledge.polling import Poller


def test_poller_survives_errors_and_stops() -> None:
    calls: list[int] = []

    def check() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("database away")

    poller = Poller(check, "test-poller")
    poller.start(0.01)
    poller.start(0.01)  # a second start is a no-op
    deadline = time.monotonic() + 2
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    poller.stop()
    assert len(calls) >= 3, "the round after a failure still runs"
    stopped_at = len(calls)
    time.sleep(0.05)
    assert len(calls) == stopped_at
