"""The DialogueManager: one message in, bot messages out; state per sender, one message at a time each."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from actions.client import ActionClient
from actions.offload import Offload
from assistant.dialogue.form_loop import FormLoop
from assistant.dialogue.forms import FORMS
from assistant.dialogue.handoff import HandoffFlow
from assistant.dialogue.messages import BotMessage, TurnResult
from assistant.dialogue.policy import Policy, PolicyConfig
from assistant.dialogue.responses import Responses
from assistant.dialogue.runner import EMPTY, REQUEST, ActionRunner, Turn
from assistant.dialogue.state import DialogueState
from assistant.dialogue.store import StateStore
from assistant.dialogue.topic import FOCUS_MINUTES, current_focus, remember
from assistant.dialogue.turns import TurnLog, TurnRecord
from assistant.dialogue.understanding import UserMessage
from assistant.handoff.desk import HandoffDesk
from knowledge.clock import Clock, beijing_date, system_clock
from nlu.gate import ParseGate
from nlu.live import LiveKnowledge
from nlu.types import Focus, IntentScore, ParseResult

T = TypeVar("T")

log = logging.getLogger(__name__)


class DialogueManager:
    """Understands each message (NLU), decides (Policy), acts (actions via ActionClient) and remembers."""

    def __init__(
        self,
        knowledge: LiveKnowledge,
        store: StateStore,
        turns: TurnLog,
        actions: ActionClient,
        domain: dict[str, Any],
        responses: Responses,
        idle_minutes: int = 60,
        max_chars: int = 2000,
        focus_minutes: int = FOCUS_MINUTES,
        clock: Clock = system_clock,
        policy: PolicyConfig | None = None,
        on_close: Callable[[], None] | None = None,
        parsing: ParseGate | None = None,
        blocking: Offload | None = None,
        handoff: HandoffDesk | None = None,
    ):
        self.knowledge = knowledge  # the NLU pipeline in force: `knowledge.current.nlu`, read once per message
        self.store = store
        self.turns = turns
        self.responses = responses
        self.idle = dt.timedelta(minutes=idle_minutes)
        self.focus_minutes = focus_minutes  # a topic is forgotten after this long without a message
        self.max_chars = max_chars
        self.clock = clock
        self._on_close = on_close
        # Parses on the process's parse gate and database calls on the blocking pool: never on the event loop
        # (nlu/gate.py, actions/offload.py). Made here when not given (then closed with the manager).
        self._owned: list[Callable[[], None]] = []
        self.parsing = parsing or self._own(ParseGate())
        self.blocking = blocking or self._own(Offload(8, "dialogue"))
        self.handoff = handoff  # tickets for staff (留言, 呼叫导服); None: the dialogue offers no human help
        flow = HandoffFlow(handoff, turns, responses, self.blocking)
        self.runner = ActionRunner(actions, domain, responses, local=flow.actions())
        self.policy = Policy(self.runner, FormLoop(self.runner, responses), responses,
                             knowledge.current.nlu.thresholds, policy)
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}
        # Set by assistant.ops.web at start-up when several processes share the database: a lock per sender
        # across processes (PostgreSQL advisory lock or lock file), taken inside the in-process lock.
        self.sender_lock: Callable[[str], AbstractAsyncContextManager[None]] | None = None

    def _own(self, thing: Any) -> Any:
        self._owned.append(thing.close)
        return thing

    # ---- handling -----------------------------------------------------------------------------
    async def handle(self, sender_id: str, text: str, channel: str = "rest",
                     metadata: dict[str, Any] | None = None, focus: Focus | None = None) -> TurnResult:
        """Handle one user message; messages of one sender are handled strictly one after another. `focus`
        replaces the conversation's topic in focus for this message (the staff hit test)."""
        return await self._one_at_a_time(sender_id,
                                         lambda: self._handle(sender_id, text or "", channel, metadata, focus))

    async def _one_at_a_time(self, sender_id: str, work: Callable[[], Awaitable[T]]) -> T:
        """Run `work` holding the sender's lock (in this process, and across processes when configured)."""
        lock = self._locks.setdefault(sender_id, asyncio.Lock())
        self._users[sender_id] = self._users.get(sender_id, 0) + 1
        try:
            async with lock:
                if self.sender_lock is None:
                    return await work()
                async with self.sender_lock(sender_id):
                    return await work()
        finally:
            self._users[sender_id] -= 1
            if not self._users[sender_id]:
                self._users.pop(sender_id, None)
                self._locks.pop(sender_id, None)

    async def continue_elsewhere(self, sender_id: str) -> bool:
        """A phone took over this conversation (the kiosk's QR code): remember it, so the kiosk clears its
        screen and its wipe leaves the conversation alone. False when there is no conversation to take over."""

        return await self._one_at_a_time(sender_id, lambda: self.blocking(self._mark_continued, sender_id))

    def _mark_continued(self, sender_id: str) -> bool:
        state = self.store.load(sender_id)
        if state is None:
            return False
        if not state.continued_elsewhere:
            self.store.save(state.model_copy(update={"continued_elsewhere": True}))
        return True

    def continued_elsewhere(self, sender_id: str) -> bool:
        """Has a phone taken this conversation over?"""
        state = self.store.load(sender_id)
        return bool(state and state.continued_elsewhere)

    async def _handle(self, sender_id: str, text: str, channel: str, metadata: dict[str, Any] | None,
                      focus: Focus | None = None) -> TurnResult:
        now = self.clock()
        state = await self.blocking(self.store.load, sender_id)
        notes: list[BotMessage] = []
        if state is not None and now - state.last_active > self.idle:
            dropped = state.active_form or state.confirming
            if dropped:
                notes.append(self.responses.render("utter_session_expired", {"form_label": FORMS[dropped].label}))
            state = None
        if state is None:
            state = DialogueState.new(sender_id, now)
            state.slots = dict.fromkeys(self.runner.domain.get("slots", {}))
        state.last_active = now
        stripped = text.strip()
        if not stripped or len(text) > self.max_chars:
            name = "utter_empty_message" if not stripped else "utter_message_too_long"
            parse = _blank(text[: self.max_chars])
            turn = Turn(state, UserMessage.of(parse.text, parse), now)
            turn.say(*notes, self.responses.render(name, {"max_chars": self.max_chars}))
            turn.handled_as = EMPTY
            return await self._finish(turn, channel, understood=False)
        # A repeated message is a dictionary lookup (the gate asks the pipeline's cache first): no thread hop.
        snap = self.knowledge.current
        focus = focus or current_focus(state, snap.kb, now, self.focus_minutes)
        parse = await self.parsing.parse(snap.nlu, stripped, beijing_date(now), focus)
        msg = UserMessage.of(stripped, parse)
        if msg.payload is not None and msg.payload.intent == "restart":  # Rasa's /restart: a fresh conversation
            state = DialogueState.new(sender_id, now)
            state.slots = dict.fromkeys(self.runner.domain.get("slots", {}))
            notes = [self.responses.render("utter_restarted")]
        state.user(stripped, _parse_data(msg), channel, now, metadata)
        turn = Turn(state, msg, now)
        turn.say(*notes)
        if msg.payload is None or msg.payload.intent != "restart":
            await self.policy.respond(turn)
            remember(turn)
        else:
            turn.handled_as = REQUEST
        return await self._finish(turn, channel, understood=True)

    async def _finish(self, turn: Turn, channel: str, understood: bool) -> TurnResult:
        result, record = self._wrap_up(turn, channel, understood)
        await self.blocking(self._store_turn, turn.state, record)
        return result

    def _store_turn(self, state: DialogueState, record: TurnRecord) -> None:
        self.store.save(state)
        self.turns.record(record)

    def _wrap_up(self, turn: Turn, channel: str, understood: bool) -> tuple[TurnResult, TurnRecord]:
        state, msg = turn.state, turn.msg
        state.action("action_listen", turn.now)
        top = msg.top_hit
        intent = msg.parse.intent.name if understood else None
        confidence = float(msg.parse.intent.confidence) if understood else None
        turn_id = uuid.uuid4().hex
        wire = [m.to_wire(state.sender_id) for m in turn.out]
        record = TurnRecord(
            turn_id=turn_id, sender_id=state.sender_id, channel=channel, user_text=msg.text,
            normalized=msg.parse.normalized, intent=intent, confidence=confidence,
            faq_id=top.faq_id if top else None, faq_score=float(top.score) if top else None,
            fallback=turn.fallback or not understood, handoff=turn.handoff,
            messages=json.loads(json.dumps(wire, ensure_ascii=False, default=str)), feedback=None, created_at=turn.now,
            handled_as=turn.handled_as,
        )
        return TurnResult(turn_id, state.sender_id, tuple(turn.out), intent, confidence), record

    def close(self) -> None:
        """Release database connections (and the threads the manager made for itself)."""
        for close in self._owned:
            close()
        if self._on_close is not None:
            self._on_close()

    # ---- privacy, feedback, export ------------------------------------------------------------
    def reset(self, sender_id: str) -> None:
        """Forget everything of the sender: conversation state and every stored turn (kiosk privacy)."""
        self.store.delete(sender_id)
        self.turns.delete_sender(sender_id)

    def record_feedback(self, sender_id: str, turn_id: str, rating: int) -> bool:
        """Store +1/-1 with the sender's turn; False for an unknown turn or another rating."""
        if rating not in (1, -1):
            return False
        return self.turns.set_feedback(sender_id, turn_id, rating)

    def export(self, sender_id: str) -> dict[str, Any]:
        """The sender's current state and turns, JSON-safe."""
        state = self.store.load(sender_id)
        return {
            "sender_id": sender_id,
            "state": state.model_dump(mode="json") if state else None,
            "turns": [t.to_json() for t in self.turns.for_sender(sender_id)],
        }


def _blank(text: str) -> ParseResult:
    oos = IntentScore("out_of_scope", 0.0)
    return ParseResult(text, text.strip(), oos, (oos,), (), (), "out_of_scope")


def _parse_data(msg: UserMessage) -> dict[str, Any]:
    """Rasa's parse_data, plus our retrieval ranking (action_answer_faq reads it); payload values keep JSON types."""
    data = msg.parse.to_wire()
    if msg.payload is not None:
        for ent in data["entities"]:
            ent["value"] = msg.payload.entities.get(ent["entity"], ent["value"])
    data["message_id"] = uuid.uuid4().hex
    return data
