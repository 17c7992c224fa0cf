"""Golden conversations of filling a form, with the real encoder (tests/dialogue/golden_forms/*.yml): replies that
are no answer never fill a field (issue 14's table, one conversation or more per row)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.dialogue.golden_runner import GoldenRun, load_conversations

CONVERSATIONS = load_conversations(None, Path(__file__).with_name("golden_forms"))  # all on the real encoder


@pytest.mark.parametrize("conv", [c for _, c in CONVERSATIONS], ids=[i for i, _ in CONVERSATIONS])
def test_golden_form(conv: dict[str, Any], make_e5_dm: Callable[..., Any], filings: Any, clock: Any) -> None:
    dm = make_e5_dm(**(conv.get("settings") or {}))
    asyncio.run(GoldenRun(dm, filings, clock).run(conv))
