"""Evaluation of the pipeline on a JSONL set: intents, out-of-scope, service ranking, entities, latency."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from knowledge import clock
from nlu.types import ParseResult


@dataclass(frozen=True)
class Case:
    """One labelled message."""

    text: str
    intent: str | None = None
    service: str | None = None
    entities: dict[str, object] = field(default_factory=dict)
    faqs: tuple[str, ...] = ()  # FAQ ids whose answer answers the message, best first (empty: not labelled)
    kind: str | None = None  # test-set stratum: covered, uncovered_aspect, uncovered, other_intent, oos


def read_cases(lines: Iterable[str]) -> list[Case]:
    """Parse JSONL lines (blank lines skipped)."""
    out = []
    for line in lines:
        if line.strip():
            d = json.loads(line)
            faqs = tuple(x for x in [d.get("faq"), *(d.get("faq_alt") or [])] if x)
            out.append(Case(d["text"], d.get("intent"), d.get("service"), d.get("entities") or {}, faqs, d.get("kind")))
    return out


def resolve_placeholder(value: str, today: dt.date) -> str:
    """Relative-date placeholders of evaluation files → ISO dates."""
    table = {"<the day before today>": -1, "<today-1>": -1, "<today-2>": -2, "<today>": 0, "<today-3>": -3}
    if value in table:
        return (today + dt.timedelta(days=table[value])).isoformat()
    if value == "<last-wednesday>":
        monday = today - dt.timedelta(days=today.weekday())
        return (monday - dt.timedelta(days=5)).isoformat()
    return value


@dataclass
class Report:
    """Every figure `lingling eval` prints."""

    n: int = 0
    intent_accuracy: float = 0.0
    intent_macro_f1: float = 0.0
    intent_ece: float = 0.0  # expected calibration error of intent confidence (10 bins)
    oos_precision: float = 0.0
    oos_recall: float = 0.0
    service_top1: float = 0.0
    service_top3: float = 0.0
    service_mrr: float = 0.0
    service_n: int = 0
    faq_top1: float = 0.0  # the first ranked entry is one of the labelled FAQs
    faq_top3: float = 0.0
    faq_n: int = 0
    entity_precision: float = 0.0
    entity_recall: float = 0.0
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    errors: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items() if k != "errors"}


def expected_calibration_error(pairs: list[tuple[float, bool]], bins: int = 10) -> float:
    """Weighted mean |accuracy - confidence| over equal-width confidence bins."""
    if not pairs:
        return 0.0
    conf = np.array([c for c, _ in pairs])
    ok = np.array([o for _, o in pairs], dtype=float)
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    err = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            err += mask.mean() * abs(ok[mask].mean() - conf[mask].mean())
    return float(err)


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def evaluate(cases: list[Case], parse: Callable[[str], ParseResult], today: dt.date | None = None) -> Report:
    """Run every case through `parse` and score it."""
    today = today or clock.today()
    rep = Report(n=len(cases))
    lat: list[float] = []
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    correct = 0
    conf_ok: list[tuple[float, bool]] = []
    rr: list[float] = []
    top1 = top3 = 0
    faq_hits: list[tuple[bool, bool]] = []
    e_tp = e_fp = e_fn = 0
    for case in cases:
        t = time.perf_counter()
        res = parse(case.text)
        lat.append((time.perf_counter() - t) * 1000)
        wrong: dict[str, object] = {}
        if case.intent:
            got = res.intent.name
            conf_ok.append((res.intent.confidence, got == case.intent))
            if got == case.intent:
                correct += 1
                tp[got] += 1
            else:
                fp[got] += 1
                fn[case.intent] += 1
                wrong["intent"] = got
        if case.service:
            services = list(dict.fromkeys(h.service_id for h in res.ranking))
            rank = services.index(case.service) + 1 if case.service in services else 0
            top1 += rank == 1
            top3 += 0 < rank <= 3
            rr.append(1 / rank if rank else 0.0)
            if rank != 1:
                wrong["service"] = services[:3]
        if case.faqs:
            got_faqs = [h.faq_id for h in res.ranking[:3]]
            faq_hits.append((bool(got_faqs) and got_faqs[0] in case.faqs, any(f in case.faqs for f in got_faqs)))
            if not faq_hits[-1][0]:
                wrong["faq"] = got_faqs
        if case.entities or case.intent is None:
            want = {(k, resolve_placeholder(str(x), today)) for k, v in case.entities.items()
                    for x in (v if isinstance(v, list) else [v])}
            got_e = {(e.entity, e.value) for e in res.entities}
            if case.intent is not None:  # intent sets: score only the entity types the case names
                got_e = {g for g in got_e if g[0] in case.entities}
            e_tp += len(want & got_e)
            e_fp += len(got_e - want)
            e_fn += len(want - got_e)
            if want != got_e:
                wrong["entities"] = sorted(got_e)
        if wrong:
            rep.errors.append({"text": case.text, "want_intent": case.intent, "want_service": case.service,
                               **({"want_faq": case.faqs[0]} if case.faqs else {}), **wrong})
    labelled = sum(1 for c in cases if c.intent)
    rep.intent_accuracy = correct / labelled if labelled else 0.0
    labels = {c.intent for c in cases if c.intent}
    rep.intent_macro_f1 = float(np.mean([_f1(tp[x], fp[x], fn[x]) for x in labels])) if labels else 0.0
    rep.intent_ece = expected_calibration_error(conf_ok)
    o = "out_of_scope"
    rep.oos_precision = tp[o] / (tp[o] + fp[o]) if tp[o] + fp[o] else 0.0
    rep.oos_recall = tp[o] / (tp[o] + fn[o]) if tp[o] + fn[o] else 0.0
    rep.service_n = len(rr)
    if rr:
        rep.service_top1, rep.service_top3, rep.service_mrr = top1 / len(rr), top3 / len(rr), float(np.mean(rr))
    rep.faq_n = len(faq_hits)
    if faq_hits:
        rep.faq_top1 = sum(a for a, _ in faq_hits) / len(faq_hits)
        rep.faq_top3 = sum(b for _, b in faq_hits) / len(faq_hits)
    rep.entity_precision = e_tp / (e_tp + e_fp) if e_tp + e_fp else 1.0
    rep.entity_recall = e_tp / (e_tp + e_fn) if e_tp + e_fn else 1.0
    if lat:
        rep.latency_p50_ms = float(np.percentile(lat, 50))
        rep.latency_p95_ms = float(np.percentile(lat, 95))
    return rep
