"""The interop test's report: what it measured is written at the end of the run, whatever pytest captured."""

from __future__ import annotations

from typing import Any

NOTES: list[str] = []  # lines the interop tests add (durations, the size of a long conversation's action call)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    if NOTES:
        terminalreporter.section("rasa interop")
        for line in NOTES:
            terminalreporter.write_line(line)
