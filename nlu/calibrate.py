"""Calibration of the answerability thresholds on the tune set (never the test set): `lingling calibrate`.

Every tune question is parsed once; its evidence (nlu/answerability.py) is kept, and every combination of the
thresholds of a small grid decides again. Covered questions should be answered with a labelled FAQ; questions
the base does not cover (`uncovered`, `uncovered_aspect`, and out-of-scope ones taken for service questions)
should get `none`. The chosen combination maximises a utility (`UTILITY`, stated in nlu/data/calibration.json and
the benchmark): a right answer or an honest `none` gains 1; the confident wrong answers — a wrong SERVICE, or an
answer to what the base does not cover — cost 2 (for a government service they are worse than none); a
neighbouring FAQ of the right service costs only 0.25, because its card names the service and offers the next
FAQs as 相关问题 buttons; an aspect of one of our services that no entry answers, answered with that service's
closest entry, costs 1 (the right service and its questions, but not an honest "not in the base"); a
clarification gains 0.5 when it offers a right entry and costs 0.5 otherwise; leaving a covered question
unanswered costs 0.5 (the person is sent to a desk for what the guide knows). The precision / coverage curve
over `answer_min` is written beside it (nlu/data/calibration.json, docs/benchmarks.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nlu.answerability import CALIBRATION, Evidence, MatchThresholds
from nlu.pipeline import NluPipeline
from nlu.types import Hit

TUNE = Path(__file__).resolve().parents[1] / "tests" / "data" / "tune_queries.jsonl"
GRID = {
    "answer_min": [round(0.45 + 0.025 * i, 3) for i in range(17)],
    "clarify_min": [0.45, 0.5, 0.55, 0.6, 0.65, 0.7],
    # Ranking scores of sibling services that share words (食品经营许可证延续 / 出版物经营许可证延续) lie within ~0.05
    # of each other even when the question names one of them: a wider margin asks "您是想问" where the golden
    # conversations (the spec) expect the answer, so the grid stops at 0.04.
    "margin": [0.0, 0.01, 0.02, 0.03, 0.04],
    "sure": [0.8, 1.01],
    "oos_max": [0.3, 0.5, 0.7, 1.01],
    "unknown_max": [0.45, 0.6, 0.75, 1.01],
}
UTILITY = {  # what each outcome is worth (module docstring)
    "right": 1.0, "honest": 1.0, "neighbour": -0.25, "wrong_service": -2.0, "answered_uncovered": -2.0,
    "answered_aspect": -1.0,
    "clarify_right": 0.5, "clarify_wrong": -0.5, "clarify_uncovered": -0.5, "none_covered": -0.5,
}
WRONG_COST = -UTILITY["wrong_service"]


@dataclass(frozen=True)
class Sample:
    """One tune question as the decision sees it."""

    kind: str  # covered / aspect (uncovered_aspect) / uncovered (uncovered, oos taken for a service question)
    labels: tuple[str, ...]  # FAQ ids that answer it (covered only)
    evidence: Evidence
    hits: tuple[Hit, ...]


def collect(pipe: NluPipeline, rows: Iterable[dict[str, Any]], today: dt.date) -> list[Sample]:
    """The ask_service questions of the tune set with their evidence."""
    out = []
    for r in rows:
        kind = r.get("kind")
        if kind not in ("covered", "uncovered", "uncovered_aspect", "oos"):
            continue
        res = pipe.parse(r["text"], today)
        if res.intent.name != "ask_service" or res.match is None:
            continue  # refused, another region, other intents: not this decision's
        ev = pipe.answerability.evidence(res.normalized, res.intent_ranking, res.ranking)
        labels = tuple(x for x in [r.get("faq"), *(r.get("faq_alt") or [])] if x)
        out.append(Sample({"covered": "covered", "uncovered_aspect": "aspect"}.get(kind, "uncovered"), labels, ev,
                          res.ranking))
    return out


def score(samples: list[Sample], decide: Callable[[Evidence, tuple[Hit, ...]], Any]) -> dict[str, float]:
    """Counts and rates of one setting."""
    c = {"right": 0, "wrong": 0, "wrong_service": 0, "clarify_right": 0, "clarify_wrong": 0, "none_covered": 0, "honest": 0,
         "answered_uncovered": 0, "answered_aspect": 0, "clarify_uncovered": 0}
    n_cov = sum(s.kind == "covered" for s in samples)
    n_unc = len(samples) - n_cov
    for s in samples:
        m = decide(s.evidence, s.hits)
        if s.kind == "covered":
            if m.decision == "answer":
                right = s.hits[0].faq_id in s.labels
                c["right" if right else "wrong"] += 1
                c["wrong_service"] += not right and not any(x.startswith(s.hits[0].service_id + "/") for x in s.labels)
            elif m.decision == "clarify":
                c["clarify_right" if set(m.candidates) & set(s.labels) else "clarify_wrong"] += 1
            else:
                c["none_covered"] += 1
        elif m.decision == "none":
            c["honest"] += 1
        elif m.decision == "clarify":
            c["clarify_uncovered"] += 1
        else:
            c["answered_aspect" if s.kind == "aspect" else "answered_uncovered"] += 1
    answered = c["right"] + c["wrong"] + c["answered_uncovered"] + c["answered_aspect"]
    outcomes = {**c, "neighbour": c["wrong"] - c["wrong_service"]}
    utility = sum(UTILITY[k] * outcomes[k] for k in UTILITY)
    return {**c, "covered": n_cov, "uncovered": n_unc, "utility": utility,
            "precision": c["right"] / answered if answered else 1.0,
            "coverage": c["right"] / n_cov if n_cov else 0.0,
            "honest_none": c["honest"] / n_unc if n_unc else 0.0}


def calibrate(pipe: NluPipeline, rows: list[dict[str, Any]], today: dt.date) -> dict[str, Any]:
    """Sweep the grid; the best setting and the precision / coverage curve over answer_min."""
    samples = collect(pipe, rows, today)
    ans = pipe.answerability
    base = ans.th
    results = []
    for values in itertools.product(*GRID.values()):
        th = replace(base, **dict(zip(GRID, values, strict=True)))
        ans.th = th
        results.append((th, score(samples, ans.match)))
    ans.th = base
    best_th, best = max(results, key=lambda r: (r[1]["utility"], r[1]["precision"]))
    curve = []
    for a in GRID["answer_min"]:
        th = replace(best_th, answer_min=a)
        ans.th = th
        curve.append({"answer_min": a, **{k: round(v, 4) for k, v in score(samples, ans.match).items()}})
    ans.th = base
    return {"tuned_on": "tests/data/tune_queries.jsonl", "encoder": pipe.encoder.name, "samples": len(samples),
            "date": today.isoformat(), "chosen": best_th.as_dict(), "at_chosen": {k: round(v, 4) for k, v in best.items()},
            "wrong_cost": WRONG_COST, "utility": UTILITY, "curve": curve}


def write(result: dict[str, Any], path: Path = CALIBRATION) -> None:
    """Store the chosen thresholds and the curve (read by MatchThresholds.load)."""
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def load_rows(path: Path = TUNE) -> list[dict[str, Any]]:
    """The tune set's lines."""
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def current(path: Path = CALIBRATION) -> MatchThresholds:
    """The thresholds in force."""
    return MatchThresholds.load(path)
