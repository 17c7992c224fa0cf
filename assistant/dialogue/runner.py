"""Runs actions through Rasa SDK's protocol and applies what they return to the conversation."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from actions.client import ActionCallError, ActionClient
from assistant.dialogue.domain import RASA_VERSION
from assistant.dialogue.messages import BotMessage
from assistant.dialogue.responses import Responses
from assistant.dialogue.state import DialogueState
from assistant.dialogue.understanding import UserMessage

log = logging.getLogger(__name__)
MAX_FOLLOWUPS = 3
# What a message was taken for (the turn log's `handled_as`): a question to answer, an answer to a form (field
# values, confirm, correct, cancel), a request 灵灵 carries out (start a filing, status, notice search, a human),
# small talk, or an empty / too long message.
QUESTION, FORM, REQUEST, CHAT, EMPTY = "question", "form", "request", "small_talk", "empty"


@dataclass
class Turn:
    """One message being handled: the state it changes and the messages it produces."""

    state: DialogueState
    msg: UserMessage
    now: dt.datetime
    out: list[BotMessage] = field(default_factory=list)
    fallback: bool = False  # not understood
    handoff: bool = False  # the user was handed to staff
    handled_as: str = QUESTION  # what the message was taken for (QUESTION, FORM, REQUEST, CHAT, EMPTY)

    def say(self, *messages: BotMessage) -> None:
        """Queue bot messages (and record them as Rasa `bot` events)."""
        for m in messages:
            if m.is_empty():
                continue
            self.out.append(m)
            data = {"buttons": [b.to_wire() for b in m.buttons] or None, "image": m.image, "custom": m.custom}
            self.state.bot(m.text, data, self.now)


LocalAction = Callable[["Turn"], Awaitable[None]]  # an action the dialogue runs itself (it says what it says)


class ActionRunner:
    """Builds action calls (tracker + domain), runs them via an ActionClient and applies the result; the few
    actions that need the app's own services (`local`, e.g. opening a handoff ticket) run in the dialogue."""

    def __init__(self, client: ActionClient, domain: dict[str, Any], responses: Responses,
                 local: Mapping[str, LocalAction] | None = None):
        self.client = client
        self.domain = domain
        self.responses = responses
        self.local = dict(local or {})

    def call(self, name: str, state: DialogueState) -> dict[str, Any]:
        """The action-call dict Rasa sends to an action server."""
        return {
            "next_action": name,
            "sender_id": state.sender_id,
            "tracker": state.to_tracker(),
            "domain": self.domain,
            "version": RASA_VERSION,
        }

    async def run(self, name: str, turn: Turn) -> list[BotMessage]:
        """Run one action (and its follow-ups); its messages are said and returned."""
        said: list[BotMessage] = []
        pending = [name]
        for _ in range(MAX_FOLLOWUPS + 1):
            if not pending:
                break
            current = pending.pop(0)
            if current in self.local:
                before = len(turn.out)
                await self.local[current](turn)
                turn.state.action(current, turn.now)
                said += turn.out[before:]
                continue
            try:
                result = await self.client.run(self.call(current, turn.state))
            except ActionCallError:
                log.exception("action %s failed", current)
                msg = self.responses.render("utter_action_failed")
                turn.say(msg)
                said.append(msg)
                return said
            turn.state.action(current, turn.now)
            for event in result.events:
                follow = self._apply(event, turn)
                if follow:
                    pending.append(follow)
            for response in result.responses:
                msg = self._message(response, turn.state)
                turn.say(msg)
                said.append(msg)
        return said

    def _apply(self, event: dict[str, Any], turn: Turn) -> str | None:
        kind = event.get("event")
        state = turn.state
        if kind == "slot" and event.get("name"):
            state.set_slot(str(event["name"]), event.get("value"), turn.now)
        elif kind == "active_loop":
            state.set_form(event.get("name"), turn.now)
        elif kind == "reset_slots":
            state.slots = {}
            state.add(event)
        elif kind == "followup" and event.get("name"):
            return str(event["name"])
        else:
            state.add(event)
        return None

    def _message(self, response: dict[str, Any], state: DialogueState) -> BotMessage:
        name = response.get("response") or response.get("template")
        if name and not response.get("text") and name in self.responses:
            extra = BotMessage.from_rasa(response)
            return self.responses.render(str(name), state.slots, buttons=extra.buttons, custom=extra.custom)
        return BotMessage.from_rasa(response)
