"""灵灵's responses rendered into BotMessages: the dialogue's own (responses.yml here, Rasa format) and the
texts the actions send (actions/responses.yml); a Rasa domain declares both."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from actions.texts import bundled_responses, fill, load_responses
from assistant.dialogue.messages import BotMessage, Button

RESPONSES_FILE = Path(__file__).with_name("responses.yml")

Chooser = Callable[[Sequence[dict[str, Any]]], dict[str, Any]]


def first(variants: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Always the first variant (tests, reproducible transcripts)."""
    return variants[0]


def choose_random(variants: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A random variant, as Rasa does."""
    return random.choice(list(variants))


class Responses:
    """Named responses with variants; `{slot}` placeholders filled from given values."""

    def __init__(self, table: dict[str, list[dict[str, Any]]], choose: Chooser = choose_random):
        self.table = table
        self.choose = choose

    @classmethod
    def load(cls, path: Path = RESPONSES_FILE, choose: Chooser = choose_random) -> Responses:
        """The dialogue's responses file (Rasa format) and the actions' responses; a name in both is an error."""
        own, actions = load_responses(path), bundled_responses()
        twice = sorted(set(own) & set(actions))
        if twice:
            raise ValueError(f"responses defined both in {path.name} and actions/responses.yml: {twice}")
        return cls({**own, **actions}, choose)

    def __contains__(self, name: object) -> bool:
        return name in self.table

    def render(
        self,
        name: str,
        values: Mapping[str, Any] | None = None,
        buttons: Sequence[Button] = (),
        custom: dict[str, Any] | None = None,
    ) -> BotMessage:
        """One message of the named response; extra buttons/custom are added to the variant's own."""
        variants = self.table.get(name)
        if not variants:
            raise KeyError(f"no response named {name!r} (assistant/dialogue or actions responses.yml)")
        v = self.choose(variants)
        own = tuple(Button(str(b["title"]), str(b["payload"])) for b in v.get("buttons") or [])
        text = fill(str(v["text"]), values or {}) if v.get("text") else None
        return BotMessage(text=text, buttons=own + tuple(buttons), image=v.get("image"), custom=custom or v.get("custom"))

    def text(self, name: str, values: Mapping[str, Any] | None = None) -> str:
        """Just the text of a rendered response."""
        return self.render(name, values).text or ""
