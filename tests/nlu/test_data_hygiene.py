"""Training, tuning and test texts are kept apart (train / tune / test discipline).

Training texts: `nlu/data/nlu.yml` examples and every text the knowledge base indexes (FAQ questions,
variants, service names, aliases, summaries). Evaluation texts: every `text` in the tune and test sets
(`tests/data/tune_*`, `tests/data/test_*`) and the contract's dev sets (`tests/contract/dev_*`). After the
project's own normalisation (and with punctuation and spaces ignored) no evaluation text may equal a training
text, and no test item (query, message, whole conversation) may equal a tune item (thresholds are tuned on the tune set only).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nlu.normalize import fold
from nlu.retrieval import faq_texts
from nlu.training_data import DEFAULT_NLU, load_training_data

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS / "data"
CONTRACT = TESTS / "contract"
_IGNORED = re.compile(r"[\s.,!?;:'\"~\-()\[\]<>、，。！？；：…]+")


def key(text: str) -> str:
    """The comparison key: normalised (full/half width, traditional/simplified, case) without punctuation."""
    return _IGNORED.sub("", fold(text))


def texts_in(value: Any) -> Iterator[str]:
    """Every string stored under a `text` key, at any depth (queries, conversation turns, question parts)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "text" and isinstance(v, str):
                yield v
            else:
                yield from texts_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from texts_in(v)


def read_set(path: Path) -> list[str]:
    out: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.extend(texts_in(json.loads(line)))
    return out


def read_units(path: Path) -> list[str]:
    """The units of evaluation: a query's text, a multi-question message's text, a whole conversation."""
    out: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out.append(" | ".join(t["text"] for t in d["turns"]) if "turns" in d else d["text"])
    return out


def _tune_files() -> list[Path]:
    return sorted(DATA.glob("tune_*.jsonl"))


def _test_files() -> list[Path]:
    return sorted([*DATA.glob("test_*.jsonl"), *CONTRACT.glob("dev_*.jsonl")])


@pytest.fixture(scope="module")
def training_keys(demo_kb) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Key → where the training text comes from."""
    keys: dict[str, str] = {}
    for ex in load_training_data(DEFAULT_NLU).examples:
        keys.setdefault(key(ex.text), f"nlu.yml ({ex.intent}): {ex.text}")
    for item, faq in demo_kb.faqs:
        for text in faq_texts(item, faq):
            keys.setdefault(key(text), f"knowledge {faq.id}: {text}")
    return keys


def test_the_sets_exist() -> None:
    """The checks below are not vacuous: the tune and test sets are where this test looks."""
    names = {p.name for p in [*_tune_files(), *_test_files()]}
    assert {"tune_queries.jsonl", "test_queries.jsonl", "dev_queries.jsonl", "dev_entities.jsonl"} <= names, names
    assert sum(len(read_set(p)) for p in _test_files()) >= 500


@pytest.mark.parametrize("path", [*_tune_files(), *_test_files()], ids=lambda p: p.name)
def test_no_evaluation_text_is_a_training_text(path: Path, training_keys: dict[str, str]) -> None:
    clashes = [f"{t!r} = {training_keys[key(t)]}" for t in read_set(path) if key(t) in training_keys]
    assert not clashes, f"{path.name}: {len(clashes)} evaluation texts are training texts:\n" + "\n".join(clashes[:30])


def test_no_test_item_is_a_tune_item() -> None:
    """Whole items are compared: a conversation's short follow-up ("要多久") may recur in another conversation."""
    tune = {key(t) for p in _tune_files() for t in read_units(p)}
    clashes = [(p.name, t) for p in _test_files() for t in read_units(p) if key(t) in tune]
    assert not clashes, clashes[:30]


def test_the_checker_sees_a_copy(training_keys: dict[str, str]) -> None:
    """A training text spelt differently (traditional, full width, punctuation) is still caught."""
    some = next(v.split(": ", 1)[1] for v in training_keys.values() if v.startswith("nlu.yml (ask_service)"))
    variant = "　" + some.replace("？", "").replace("?", "") + "？！"
    assert key(variant) in training_keys
