"""A small sample of `make fuzz`'s inputs (benchmarks/fuzz_cases.py) through every HTTP chat door: no answer ≥ 500.

The full run (10,000 inputs per door, SQLite and PostgreSQL, socket.io too) is `make fuzz`; its figures are in
docs/benchmarks.md. This keeps the generator and the doors honest in every test run (60 inputs per door).
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.fuzz_cases import PATHS, http_cases


@pytest.mark.parametrize("door", sorted(PATHS))
def test_fuzzed_requests_never_get_a_server_error(api: Any, door: str) -> None:
    for case in http_cases(door, 60, seed=2026):
        headers = {"content-type": case.content_type} if case.content_type else {}
        r = api.post(PATHS[door], content=case.body, headers=headers)
        assert r.status_code < 500, (case.kind, case.body[:300], r.text[:300])
