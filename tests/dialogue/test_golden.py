"""Golden multi-turn conversations (tests/dialogue/golden/*.yml), on SQLite and (optionally) PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.dialogue.golden_runner import GoldenRun, load_conversations

CONVERSATIONS = load_conversations()


@pytest.mark.parametrize("conv", [c for _, c in CONVERSATIONS], ids=[i for i, _ in CONVERSATIONS])
def test_golden(conv: dict[str, Any], make_dm: Callable[..., Any], filings: Any, clock: Any) -> None:
    dm = make_dm(**(conv.get("settings") or {}))
    asyncio.run(GoldenRun(dm, filings, clock).run(conv))
