"""What the dialogue really replies to each question of a query set (one fresh conversation per question).

Covered questions: the FAQ ranked first, and whether the reply (texts and cards) contains the labelled facts
(`answer_has`); in-domain questions the base does not cover: an honest referral, and no 开始办理 button for a matter the base
lacks (`uncovered`);
out of scope: refused (no answer card, no 您是想问 list), and general-assistant topics kept out_of_scope.
Used by `make bench` (answers section) and the slow floors of tests/nlu/test_accuracy.py.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ABUSE = {"insult", "injection", "personal_data", "other_region"}  # the rest of `oos` are general-assistant topics


def build_dm(pipeline: Any, kb: Any, folder: Path) -> Any:
    """A DialogueManager on a SQLite file in `folder`, actions in process, first response variants."""
    from assistant.dialogue.factory import build_manager
    from assistant.dialogue.responses import first
    from assistant.ops.migrate import upgrade_all
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot, LiveKnowledge

    settings = Settings(data_dir=folder, env="test", database_url=f"sqlite:///{folder / 'replies.db'}")
    upgrade_all(settings.db_url)
    return build_manager(settings, LiveKnowledge(KnowledgeSnapshot(kb, pipeline)), None, choose=first)


def _reply(result: Any) -> tuple[str, list[str], list[str]]:
    texts = [m.text or "" for m in result.messages]
    cards = [json.dumps(m.custom, ensure_ascii=False) for m in result.messages if m.custom]
    return "\n".join(texts + cards), [b.title for m in result.messages for b in m.buttons], \
        [str(m.custom.get("type")) for m in result.messages if m.custom]


def evaluate_replies(pipeline: Any, kb: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The reply figures of a query set's rows (see the module docstring)."""
    c: Counter[str] = Counter()
    misses: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        dm = build_dm(pipeline, kb, Path(tmp))

        async def run() -> None:
            for i, r in enumerate(rows):
                kind = r.get("kind")
                if kind not in ("covered", "uncovered", "uncovered_aspect", "oos"):
                    continue
                sender = f"eval-{i}"
                result = await dm.handle(sender, r["text"])
                parse = pipeline.cached(r["text"].strip()) or pipeline.parse(r["text"].strip())
                dm.reset(sender)
                joined, buttons, customs = _reply(result)
                decision = parse.match.decision if parse.match else "-"
                c[f"{kind}:decision:{decision}"] += 1
                if kind == "covered":
                    c["covered"] += 1
                    labels = [x for x in [r.get("faq"), *(r.get("faq_alt") or [])] if x]
                    top = parse.ranking[0].faq_id if parse.ranking else ""
                    c["faq_top1"] += top in labels
                    facts = r.get("answer_has") or []
                    ok = bool(facts) and all(f in joined for f in facts)
                    if not facts and r.get("answer_from"):
                        ok = "answer_card" in customs and top in labels
                    c["has_facts"] += ok
                    if not ok:
                        misses.append({"text": r["text"], "kind": kind, "want": labels[:1], "got": top,
                                       "decision": decision})
                elif kind in ("uncovered", "uncovered_aspect"):
                    c["uncovered"] += 1
                    ok = "referral" in customs
                    c["referral"] += ok
                    # Documents and matters the base lacks must never get 开始办理; an uncovered aspect of a service
                    # that has a filing may (counted apart).
                    c["filing_buttons" if kind == "uncovered" else "filing_buttons_aspect"] += "开始办理" in buttons
                    if not ok:
                        misses.append({"text": r["text"], "kind": kind, "decision": decision, "got": customs})
                else:
                    c["oos"] += 1
                    refused = "answer_card" not in customs and "clarify" not in customs and "您是想问" not in joined
                    c["refused"] += refused
                    if r.get("topic") not in ABUSE:
                        c["general"] += 1
                        c["general_oos"] += result.intent == "out_of_scope"
                    if not refused:
                        misses.append({"text": r["text"], "kind": kind, "topic": r.get("topic"), "got": customs})

        asyncio.run(run())
        dm.close()

    def rate(a: str, b: str) -> float:
        return c[a] / c[b] if c[b] else 0.0

    return {
        "covered": c["covered"], "faq_top1": rate("faq_top1", "covered"), "reply_has_facts": rate("has_facts", "covered"),
        "uncovered": c["uncovered"], "referral": rate("referral", "uncovered"), "filing_buttons": c["filing_buttons"],
        "filing_buttons_aspect": c["filing_buttons_aspect"],
        "oos": c["oos"], "refused": rate("refused", "oos"), "general": c["general"],
        "general_kept_oos": rate("general_oos", "general"),
        "decisions": {k: v for k, v in sorted(c.items()) if ":decision:" in k},
        "misses": misses,
    }
