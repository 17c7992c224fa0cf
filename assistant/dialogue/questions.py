"""Answering a message: one answer card per question it asks (at most three, in order: nlu/segment.py).

Each question is answered by `action_answer_faq` as if it had been sent alone: for the action's call the
tracker's latest message is that question's own parse (its text, entities and ranking), then the whole message
is put back. A question whose best entry an earlier question's card already answered is not answered twice;
one that is not a service question gets a short note naming it, so nothing asked goes silently unanswered.
"""

from __future__ import annotations

from assistant.dialogue.responses import Responses
from assistant.dialogue.runner import ActionRunner, Turn
from nlu.types import Part

ANSWERABLE = frozenset({"ask_service", "start_lost_notice", "start_medical_validation", "search_notice",
                        "check_status"})  # a question about these is answered from the knowledge base


async def answer_questions(runner: ActionRunner, responses: Responses, turn: Turn) -> None:
    """One answer per question of the message (the whole message when it asks one thing)."""
    msg, state = turn.msg, turn.state
    plan: list[Part | str] = []  # a question to answer, or the text of one not understood
    answered: set[str] = set()
    for part in msg.parse.parts if msg.payload is None else ():
        p = part.parse
        top = p.ranking[0].faq_id if p.ranking else ""
        if p.intent.name not in ANSWERABLE or not top:
            plan.append(p.text)
        elif top not in answered:  # an earlier question's card answers this one too
            answered.add(top)
            plan.append(part)
    if len(plan) < 2:
        await runner.run("action_answer_faq", turn)
        return
    turn.say(responses.render("utter_several_questions", {"count": len(msg.parse.parts)}))
    whole = state.latest_message
    try:
        for step in plan:
            if isinstance(step, str):
                turn.say(responses.render("utter_question_not_understood", {"question": step}))
                continue
            state.latest_message = {**whole, **step.parse.to_wire(), "text": step.parse.text}
            await runner.run("action_answer_faq", turn)
    finally:
        state.latest_message = whole
