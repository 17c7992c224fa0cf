"""A typed message while a form asks a field, or waits for 确认提交: the NLU says what it is (nlu/form_reply.py)
— an answer, a correction, a question, hesitation, a switch, a cancel, a self-introduction, small talk — and
this acts on it. Nothing fills a field unless the reply gives a value for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from actions.forms import FILING_FORMS, FORMS, FormSpec
from actions.payloads import payload
from assistant.dialogue.form_loop import READBACK_BUTTONS, FormLoop
from assistant.dialogue.messages import Button
from assistant.dialogue.questions import answer_questions
from assistant.dialogue.responses import Responses
from assistant.dialogue.runner import CHAT, FORM, QUESTION, ActionRunner, Turn
from knowledge.clock import beijing_date
from knowledge.loader import KnowledgeBase
from nlu.form_fields import FieldKind
from nlu.form_reply import FormReader, FormReply, ReplyKind

CHITCHAT = {"greet": "utter_greet", "goodbye": "utter_goodbye", "thanks": "utter_thanks",
            "bot_identity": "utter_bot_identity"}


@dataclass(frozen=True)
class FaqBar:
    """When a question asked inside a form is answered from the knowledge base (else the field's help)."""

    confidence: float  # ask_service probability
    retrieval: float  # best knowledge entry's score
    start_button: float = 0.25  # a form's start intent this likely is offered when the applicant switches


class FormReplies:
    """Acts on typed replies inside a form."""

    def __init__(self, forms: FormLoop, runner: ActionRunner, responses: Responses,
                 reader: Callable[[], FormReader], kb: Callable[[], KnowledgeBase], faq: FaqBar):
        self.forms = forms
        self.runner = runner
        self.responses = responses
        self.reader = reader
        self.kb = kb
        self.faq = faq

    def read(self, form: FormSpec, turn: Turn, asked: str | None) -> FormReply:
        """What the typed message is, as a reply to `asked` (None: at the read-back)."""
        ctx = form.context(asked, turn.state.slots)
        return self.reader().read(turn.msg.text, turn.msg.parse, ctx, beijing_date(turn.now))

    # ---- while a field is asked ---------------------------------------------------------------
    async def in_form(self, form: FormSpec, turn: Turn) -> None:
        """One typed reply to the requested field (a reply to the form for the turn log, unless it is a question
        the knowledge base answers or small talk: staff see questions, not form answers)."""
        asked = turn.state.requested_slot
        turn.handled_as = FORM
        reply = self.read(form, turn, asked)
        kind = reply.kind
        if kind is ReplyKind.CANCEL:
            self.forms.cancel(form, turn)
        elif kind is ReplyKind.CORRECTION:
            await self.correct(form, reply, turn)
        elif kind is ReplyKind.SWITCH:
            await self.switch(form, reply, turn)
        elif kind in (ReplyKind.ANSWER, ReplyKind.MULTI_FIELD, ReplyKind.SELF_INTRO):
            await self.take(form, reply, turn)
        else:
            if kind is ReplyKind.QUESTION:
                await self.question(form, reply, turn)
            elif kind is ReplyKind.HESITATION:
                self.hesitation(form, reply, turn)
            else:
                name = CHITCHAT.get(turn.msg.intent, "utter_continue_form") if turn.msg.confidence >= 0.9 else \
                    "utter_continue_form"
                if name != "utter_continue_form":
                    turn.handled_as = CHAT
                turn.say(self.responses.render(name, {"form_label": form.label}))
            await self.forms.ask(form, asked, turn)

    async def take(self, form: FormSpec, reply: FormReply, turn: Turn) -> None:
        """Fill what the reply gives (every value is said back); a surname or nickname alone is no name."""
        asked = turn.state.requested_slot
        person = next((s for s in form.slots if s.kind is FieldKind.PERSON), None)
        if reply.partial_name and person is not None and person.name not in reply.fields:
            partial = reply.partial_name
            surname = partial[1:] if len(partial) == 2 and partial[0] in "小老阿" else partial
            turn.say(self.responses.render("utter_need_full_name", {"surname": surname}))
            if not reply.fields:
                if asked != person.name:
                    await self.forms.ask(form, asked, turn)
                return
        say_back = None
        if reply.unknown_items and any(isinstance(reply.fields.get(s.name), list) for s in form.slots if s.is_list):
            turn.say(self.responses.render("utter_items_not_understood", {"unknown": "、".join(reply.unknown_items)}))
            say_back = "utter_noted"  # and what was kept
        if reply.removed_items and not any(reply.fields.get(s.name) for s in form.slots if s.is_list):
            turn.say(self.responses.render("utter_items_left_out", {"items": "、".join(reply.removed_items)}))
        if not reply.fields:
            await self.forms.ask(form, asked, turn)
            return
        await self.forms.fill(form, reply.fields, turn, report=True, say_back=say_back)

    async def correct(self, form: FormSpec, reply: FormReply, turn: Turn) -> None:
        """Re-open the field named (with its new value when given), else ask which one."""
        if reply.target is None:
            self.forms.correction_menu(form, turn)
            return
        if reply.removed_items:
            turn.say(self.responses.render("utter_items_left_out", {"items": "、".join(reply.removed_items)}))
        await self.forms.correct(form, reply.target, turn, reply.fields.get(reply.target))

    async def question(self, form: FormSpec, reply: FormReply, turn: Turn) -> None:
        """A question about the field is answered by its help; another from the knowledge base when it is sure."""
        spec = form.slot(turn.state.requested_slot)
        helpful = spec is not None and f"utter_help_{spec.name}" in self.responses
        if spec is not None and helpful and (reply.about_field or not self._faq_sure(turn)):
            self._help(form, spec.name, turn)
        elif self._faq_sure(turn):
            turn.handled_as = QUESTION
            await answer_questions(self.runner, self.responses, turn)  # each question of it
        else:
            turn.handled_as = QUESTION
            turn.say(self.responses.render("utter_form_question_unknown"))

    def hesitation(self, form: FormSpec, reply: FormReply, turn: Turn) -> None:
        """No hurry: what was filled so far (when asked), where to find the field, then its question again."""
        if reply.wants_summary:
            self.forms.summary(form, turn)
        slot = turn.state.requested_slot
        if slot and f"utter_help_{slot}" in self.responses:
            self._help(form, slot, turn)
        turn.say(self.responses.render("utter_take_your_time"))

    async def switch(self, form: FormSpec, reply: FormReply, turn: Turn) -> None:
        """Another matter: answer it when the knowledge base is sure, and ask one clear question — leave this form
        (or start the other one), or go on."""
        if self._faq_sure(turn):
            turn.handled_as = QUESTION
            await answer_questions(self.runner, self.responses, turn)  # each question of it
        other = self._other_form(form, reply.topic, turn)
        buttons = [Button(f"改为{other.label}", payload(other.start_intent))] if other and other.start_intent else []
        buttons += [Button("结束填写", "/deny"), Button(f"继续{form.label}", "/affirm")]
        name = "utter_switch_other_form" if other else "utter_switch_leave"
        values = {"form_label": form.label, "topic": reply.topic, "other_label": other.label if other else ""}
        turn.say(self.responses.render(name, values, buttons=tuple(buttons)))

    # ---- at the read-back ---------------------------------------------------------------------
    async def confirming(self, form: FormSpec, turn: Turn) -> bool:
        """A typed message at the read-back: a cancel or a correction is acted on (True); else False."""
        reply = self.read(form, turn, None)
        if reply.kind is ReplyKind.CANCEL:
            self.forms.cancel(form, turn)
            return True
        if reply.kind is ReplyKind.CORRECTION:
            await self.correct(form, reply, turn)
            return True
        return False

    async def question_at_readback(self, turn: Turn) -> None:
        """A question while 确认提交 waits: answered, and the confirmation is offered again."""
        turn.handled_as = QUESTION
        await answer_questions(self.runner, self.responses, turn)  # each question of it
        turn.say(self.responses.render("utter_confirm_pending", buttons=READBACK_BUTTONS))

    # ---- helpers ------------------------------------------------------------------------------
    def _help(self, form: FormSpec, slot: str, turn: Turn) -> None:
        spec = form.slot(slot)
        values = spec.help_values(self.kb()) if spec is not None else {}
        turn.say(self.responses.render(f"utter_help_{slot}", values))

    def _faq_sure(self, turn: Turn) -> bool:
        msg = turn.msg
        return msg.intent == "ask_service" and msg.prob("ask_service") >= self.faq.confidence \
            and msg.hit_score >= self.faq.retrieval

    def _other_form(self, form: FormSpec, topic: str, turn: Turn) -> FormSpec | None:
        """The other form meant: a filing whose service item's cue words the topic has (校验, 丢/遗失 ...), else
        the form whose start intent the NLU finds likely (查进度, 查公告)."""
        for intent, other in FILING_FORMS.items():
            if other is form:
                continue
            items = [i for i in self.kb().items.values() if i.filing == intent]
            if any(cue in topic for i in items for cue in (*i.cues, i.name)):
                return other
        likely = [(turn.msg.prob(f.start_intent), f) for f in FORMS.values()
                  if f is not form and f.start_intent and f.start_intent not in FILING_FORMS]
        prob, best = max(likely, key=lambda x: x[0], default=(0.0, None))
        return best if prob >= self.faq.start_button else None
