"""What to do with a message, given the conversation: answer, fill a form, fall back or hand off."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from actions.forms import FILING_FORMS, FORMS, HANDOFF, NOTICE_SEARCH, STATUS, FormSpec
from actions.forms import VALIDATION_DUE as VALIDATION_DUE_FORM
from assistant.dialogue.form_loop import READBACK_BUTTONS, FormLoop
from assistant.dialogue.form_replies import FaqBar, FormReplies
from assistant.dialogue.messages import Button
from assistant.dialogue.questions import answer_questions
from assistant.dialogue.responses import Responses
from assistant.dialogue.runner import CHAT, FORM, REQUEST, ActionRunner, Turn
from knowledge.loader import KnowledgeBase
from nlu.form_reply import FormReader
from nlu.pipeline import Thresholds
from nlu.topics import VALIDATION_DUE

CHITCHAT = {"greet": "utter_greet", "goodbye": "utter_goodbye", "thanks": "utter_thanks",
            "bot_identity": "utter_bot_identity"}
DUE_INTENTS = ("check_status", "ask_service", "start_medical_validation", "out_of_scope")  # a due question's
START_LABELS = {"start_lost_notice": "办理遗失公告登记", "start_medical_validation": "申请医疗机构校验"}


@dataclass(frozen=True)
class PolicyConfig:
    """Bars of the dialogue's own decisions (the NLU's thresholds decide the intent itself)."""

    digress_confidence: float = 0.6  # ask_service probability for a mid-form question to be answered
    handoff_confidence: float = 0.7  # human_handoff probability to leave a form for staff
    out_of_scope_confidence: float = 0.5  # classifier's out_of_scope probability for "can't help" (no good hit)
    out_of_scope_sure: float = 0.8  # ... and for "can't help" whatever the retrieval found
    start_button_min: float = 0.25  # a filing intent this likely gets its start button in "您是想问"
    small_talk_confidence: float = 0.9  # 你好 / 好的 / 不是 this sure is not taken as a form answer
    did_you_mean: int = 3  # questions offered


class Policy:
    """Routes one message: confirmation, active form, or free conversation."""

    def __init__(self, runner: ActionRunner, forms: FormLoop, responses: Responses, thresholds: Thresholds,
                 reader: Callable[[], FormReader], kb: Callable[[], KnowledgeBase], cfg: PolicyConfig | None = None):
        self.runner = runner
        self.forms = forms
        self.responses = responses
        self.th = thresholds
        self.cfg = cfg or PolicyConfig()
        self.replies = FormReplies(forms, runner, responses, reader, kb,
                                   FaqBar(self.cfg.digress_confidence, thresholds.retrieval_min, self.cfg.start_button_min))

    async def respond(self, turn: Turn) -> None:
        """Produce the turn's messages and state changes."""
        if turn.state.confirming:
            await self._confirming(FORMS[turn.state.confirming], turn)
        elif turn.state.active_form:
            await self._in_form(FORMS[turn.state.active_form], turn)
        else:
            await self._free(turn)
        if not turn.fallback:
            turn.state.fallback_count = 0

    # ---- free conversation ------------------------------------------------------------------
    async def _free(self, turn: Turn) -> None:
        msg, st = turn.msg, turn.state
        intent = msg.payload.intent if msg.payload else msg.intent
        if msg.payload is None and msg.parse.topic == VALIDATION_DUE and intent in DUE_INTENTS:
            await self.forms.start(VALIDATION_DUE_FORM, turn)  # 我们的校验什么时候到期 (nlu/topics.py)
        elif intent in CHITCHAT:
            turn.handled_as = CHAT
            turn.say(self.responses.render(CHITCHAT[intent]))
        elif intent == "human_handoff":
            await self.handoff(turn)
        elif intent == "leave_message":
            await self.forms.start(HANDOFF, turn)
        elif intent == "call_staff":
            turn.handled_as = REQUEST
            await self.runner.run("action_call_staff", turn)
        elif intent in ("ask_service", "ask_faq") or (intent == "out_of_scope" and _refers(turn)):
            await answer_questions(self.runner, self.responses, turn)
            turn.fallback = _unanswered(turn)  # a referral reaches the staff inbox
        elif intent in FILING_FORMS:
            await self.forms.start(FILING_FORMS[intent], turn)
        elif intent == "check_status":
            await self.check_status(turn)
        elif intent == "search_notice":  # the action asks for the company or number when the message names none
            turn.handled_as = REQUEST
            await self.runner.run(NOTICE_SEARCH.submit_action, turn)
        elif intent == "affirm" and st.cancelled_form and msg.is_explicit_confirm():
            turn.handled_as = FORM
            self.forms.stale_confirm(turn)  # 确认提交 of a cancelled form: nothing is submitted
        elif intent == "affirm" and st.last_submit and msg.is_explicit_confirm():
            await self.forms.submit(FORMS[st.last_submit], turn)  # a retried confirm: same filing again
        elif intent in ("affirm", "deny"):
            turn.handled_as = CHAT
            turn.say(self.responses.render("utter_ack" if intent == "affirm" else "utter_deny_ack"))
        elif intent in ("inform", "correct"):
            turn.handled_as = FORM
            turn.say(self.responses.render("utter_no_active_form"))
        else:
            self._not_understood(turn)

    def _not_understood(self, turn: Turn) -> None:
        """Out of scope, or the two-stage fallback: 您是想问 → rephrase → offer a human."""
        msg, st = turn.msg, turn.state
        match = msg.parse.match
        if msg.payload is None and match is not None and (match.refusal or match.region):
            # Insults, injection, other people's data: a polite no; another region: that region's office.
            name = f"utter_refuse_{match.refusal}" if match.refusal else "utter_other_region"
            turn.say(self.responses.render(name, {"region": match.region or ""}))
            turn.fallback = True  # unanswered (staff see it), but not a fallback stage
            st.fallback_count = 0
            return
        hit = msg.hit_score
        oos = msg.prob("out_of_scope") if msg.parse.raw_intent == "out_of_scope" else 0.0
        clear_oos = oos >= self.cfg.out_of_scope_sure or (oos >= self.cfg.out_of_scope_confidence and hit < self.th.retrieval_min)
        if msg.payload is None and (clear_oos or (match is not None and match.stray)):
            turn.say(self.responses.render("utter_out_of_scope"))
            turn.fallback = True  # unanswered (staff see it), but not a fallback stage
            st.fallback_count = 0
            return
        turn.fallback = True
        st.fallback_count += 1
        if st.fallback_count == 1:
            near = match is None or bool(match.candidates)  # entries the answerability found worth offering
            if hit >= self.th.retrieval_min and near:
                self._did_you_mean(turn)
            else:
                turn.say(self.responses.render("utter_default"))
        elif st.fallback_count == 2:
            turn.say(self.responses.render("utter_ask_rephrase"))
        else:
            st.fallback_count = 0
            buttons = (Button("转人工", "/human_handoff"),)
            turn.say(self.responses.render("utter_offer_human", buttons=buttons))

    def _did_you_mean(self, turn: Turn) -> None:
        msg = turn.msg
        buttons = [Button(h.question, _payload("ask_faq", faq_id=h.faq_id)) for h in msg.parse.ranking[: self.cfg.did_you_mean]]
        documents = bool(msg.parse.match and msg.parse.match.documents) and not msg.entities("license_type")
        for intent, label in START_LABELS.items():
            if documents and intent == "start_lost_notice":
                continue  # 身份证, 营业执照 …: the notice service does not accept them
            if msg.prob(intent) >= self.cfg.start_button_min:
                types = msg.entities("license_type") if intent == "start_lost_notice" else []
                ents = {"license_type": types[0]} if types else {}
                buttons.append(Button(label, _payload(intent, **ents)))
        turn.say(self.responses.render("utter_did_you_mean", buttons=tuple(buttons)))

    async def check_status(self, turn: Turn) -> None:
        """A filing this conversation owns is told at once; any other needs its id and the phone's last four."""
        st = turn.state
        turn.handled_as = REQUEST
        known = [str(x).upper() for x in st.slots.get("session_filings") or []]
        named = [str(x).strip().upper() for x in turn.msg.entities("filing_id") if x]
        if known and all(n in known for n in named):
            st.set_slot("filing_id", named[0] if named else None, turn.now)
            await self.runner.run(STATUS.submit_action, turn)
        else:
            await self.forms.start(STATUS, turn)

    async def handoff(self, turn: Turn) -> None:
        """The ways to reach staff (留言, 呼叫导服 at a kiosk); the conversation is marked for staff."""
        turn.handled_as = REQUEST
        turn.handoff = True
        turn.state.handoff = True
        await self.runner.run("action_human_handoff", turn)

    # ---- inside a form ----------------------------------------------------------------------
    async def _in_form(self, form: FormSpec, turn: Turn) -> None:
        msg, st = turn.msg, turn.state
        if msg.is_cancel():
            self.forms.cancel(form, turn)
            return
        p = msg.payload
        asked = form.slot(st.requested_slot)
        if p is None and asked is not None and asked.any_text:
            await self.forms.take_text(form, asked.name, turn)  # a question for staff is the answer, whatever it looks like
            return
        if p is None:
            if msg.intent == "human_handoff" and msg.prob("human_handoff") >= self.cfg.handoff_confidence:
                await self.handoff(turn)
                await self.forms.ask(form, st.requested_slot, turn)
            else:
                await self.replies.in_form(form, turn)  # what the typed reply is decides (nlu/form_reply.py)
            return
        if p.intent == "inform":
            await self.forms.answer(turn)
            return
        if p.intent == "correct":
            slot = msg.correction_slot(form)
            if slot:
                await self.forms.correct(form, slot, turn)
            else:
                self.forms.correction_menu(form, turn)
            return
        other = next((f for f in FORMS.values() if f.start_intent == p.intent and f is not form), None)
        if other is not None:  # a start button (改为…): the form is left, the other one starts
            self.forms.cancel(form, turn, quiet=True)
            await self.forms.start(other, turn)
            return
        if p.intent == "ask_faq":
            await self.runner.run("action_answer_faq", turn)
        elif p.intent == "human_handoff":
            await self.handoff(turn)
        elif p.intent == "call_staff":
            turn.handled_as = REQUEST
            await self.runner.run("action_call_staff", turn)
        elif p.intent in CHITCHAT:
            turn.handled_as = CHAT
            turn.say(self.responses.render(CHITCHAT[p.intent]))
        else:
            turn.handled_as = FORM
            turn.say(self.responses.render("utter_continue_form", {"form_label": form.label}))
        await self.forms.ask(form, st.requested_slot, turn)

    def _is_question(self, form: FormSpec, turn: Turn) -> bool:
        """Clearly a question about a service (not an answer that happens to look like one)."""
        msg = turn.msg
        if not msg.is_question() or msg.intent != "ask_service":
            return False
        if msg.prob("ask_service") < self.cfg.digress_confidence or msg.hit_score < self.th.retrieval_min:
            return False
        spec = form.slot(turn.state.requested_slot or "")
        return not (spec and spec.entity and msg.entities(spec.entity))

    # ---- waiting for 确认提交 -----------------------------------------------------------------
    async def _confirming(self, form: FormSpec, turn: Turn) -> None:
        msg = turn.msg
        if msg.is_cancel():
            self.forms.cancel(form, turn)
            return
        if msg.payload is None and await self.replies.confirming(form, turn):
            return  # a typed cancel or correction ("电话改成…", "去掉放射工作人员证")
        slot = msg.correction_slot(form) if msg.payload is not None else None
        if slot:
            await self.forms.correct(form, slot, turn)
        elif msg.wants_correction() or (msg.payload is None and msg.intent == "deny"):
            self.forms.correction_menu(form, turn)
        elif msg.is_explicit_confirm() or (msg.payload is None and msg.intent == "affirm"):
            await self.forms.submit(form, turn)
        elif (msg.payload.intent if msg.payload else msg.intent) == "human_handoff":
            await self.handoff(turn)
            turn.say(self.responses.render("utter_confirm_pending", buttons=READBACK_BUTTONS))
        elif msg.payload is not None and msg.payload.intent == "leave_message" and form is not HANDOFF:
            self.forms.cancel(form, turn, quiet=True)
            await self.forms.start(HANDOFF, turn)
        elif msg.payload is not None and msg.payload.intent == "call_staff":
            turn.handled_as = REQUEST
            await self.runner.run("action_call_staff", turn)
            turn.say(self.responses.render("utter_confirm_pending", buttons=READBACK_BUTTONS))
        elif (msg.payload is not None and msg.payload.intent == "ask_faq") or self._is_question(form, turn):
            await self.replies.question_at_readback(turn)
        else:
            turn.handled_as = FORM
            turn.say(self.responses.render("utter_confirm_pending", buttons=READBACK_BUTTONS))


def _refers(turn: Turn) -> bool:
    """An out-of-scope message that names a matter of the referral directory (身份证, 社保 …): refer it there."""
    match = turn.msg.parse.match
    return turn.msg.payload is None and match is not None and match.referral is not None and not match.refusal


def _unanswered(turn: Turn) -> bool:
    """The answer was the honest referral (no knowledge entry answered the question)."""
    match = turn.msg.parse.match
    return turn.msg.payload is None and match is not None and match.decision == "none"


def _payload(intent: str, **entities: object) -> str:
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"
