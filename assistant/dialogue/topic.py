"""The topic in focus, as the conversation remembers it (the NLU resolves follow-ups against it: nlu/focus.py).

The focus is the service and FAQ of the latest answer card (or the service alone, when the NLU found the question
about one service its entries do not answer: `Match.about`); a filing form in progress puts its own service in
focus. Small talk, thanks, a question not understood or a refusal leave it alone; a new answer replaces it; a
submitted filing and a long pause (FOCUS_MINUTES without a message) clear it, as does a new session.
"""

from __future__ import annotations

import datetime as dt

from actions.forms import FILING_FORMS
from assistant.dialogue.runner import Turn
from assistant.dialogue.state import DialogueState
from knowledge.loader import KnowledgeBase
from nlu.types import Focus

FOCUS_MINUTES = 20


def current_focus(state: DialogueState, kb: KnowledgeBase, now: dt.datetime,
                  minutes: int = FOCUS_MINUTES) -> Focus | None:
    """The focus a new message of this conversation is parsed with (None: no topic yet, or forgotten)."""
    form = state.active_form or state.confirming
    if form:
        intent = next((i for i, spec in FILING_FORMS.items() if spec.name == form), None)
        item = next((it for it in kb.items.values() if intent and it.filing == intent), None)
        if item is not None:
            same = state.focus_service == item.id
            return Focus(item.id, state.focus_faq if same else None)
    if not state.focus_service or state.focus_at is None or now - state.focus_at > dt.timedelta(minutes=minutes):
        return None
    if state.focus_service not in kb.items:  # the service was withdrawn meanwhile
        return None
    return Focus(state.focus_service, state.focus_faq)


def remember(turn: Turn) -> None:
    """After a turn: the last answer card's service and FAQ are in focus; a receipt (a filing submitted)
    closes the topic."""
    state = turn.state
    for msg in reversed(turn.out):
        card = msg.custom or {}
        if card.get("type") == "receipt":
            state.focus_service = state.focus_faq = state.focus_at = None
            return
        if card.get("type") == "answer_card" and card.get("service_id"):
            state.focus_service = str(card["service_id"])
            state.focus_faq = str(card.get("faq_id") or "") or None
            state.focus_at = turn.now
            return
    match = turn.msg.parse.match
    if match is not None and match.about:
        # No answer, but the message was about one service (an aspect its entries lack, or a person asked for
        # about it; the NLU says which messages are: nlu/answerability.py): its follow-ups still are.
        state.focus_service, state.focus_faq, state.focus_at = match.about, None, turn.now
