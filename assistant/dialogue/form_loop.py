"""The form loop (what Rasa's FormAction does): fill slots, validate through the action server, ask the next
slot, read back, confirm, submit, correct and cancel. What a typed reply is, is decided before (form_replies.py)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from typing import Any

from actions.forms import FORMS, FormSpec
from actions.payloads import payload
from assistant.dialogue.messages import Button
from assistant.dialogue.responses import Responses
from assistant.dialogue.runner import FORM, REQUEST, ActionRunner, Turn
from nlu.form_values import whole_org_name

READBACK_BUTTONS = (Button("确认提交", "/affirm"), Button("修改", "/correct"), Button("取消", "/deny"))


def empty(value: Any) -> bool:
    """True for a missing slot value."""
    return value is None or value == "" or value == []


def shown(value: Any) -> str:
    """A slot value as the read-back shows it."""
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return "" if value is None else str(value)


class FormLoop:
    """Drives the active form of a turn's state."""

    def __init__(self, runner: ActionRunner, responses: Responses):
        self.runner = runner
        self.responses = responses

    # ---- starting and filling ---------------------------------------------------------------
    async def start(self, form: FormSpec, turn: Turn) -> None:
        """Activate a form: reset its slots, prefill from the message's entities (or, for 修改后重新提交, from the
        rejected filing: action_prefill_resubmission), ask the first gap."""
        st = turn.state
        turn.handled_as = REQUEST
        for name in form.slot_names:
            st.slots[name] = None
        st.confirming = None
        st.last_submit = None
        st.cancelled_form = None
        st.slots["resubmission_of"] = None
        st.set_slot("form_session_id", uuid.uuid4().hex, turn.now)
        st.set_form(form.name, turn.now)
        if turn.msg.payload_value("resubmission_of"):  # 修改后重新提交: the rejected filing's answers filled in
            await self.runner.run("action_prefill_resubmission", turn)
        elif form.intro_response:
            turn.say(self.responses.render(form.intro_response))
        await self.fill(form, self._payload_values(form, turn, initial=True), turn, report=turn.msg.payload is None)

    async def answer(self, turn: Turn) -> None:
        """A button's values (/inform{...}) for the requested slot and the other gaps."""
        turn.handled_as = FORM
        form = FORMS[str(turn.state.active_form)]
        await self.fill(form, self._payload_values(form, turn, initial=False), turn)

    async def take_text(self, form: FormSpec, slot: str, turn: Turn) -> None:
        """The whole typed message answers `slot` (a field that takes any text: the 留言 for staff)."""
        turn.handled_as = FORM
        await self.fill(form, {slot: " ".join(turn.msg.text.split())}, turn)

    def _payload_values(self, form: FormSpec, turn: Turn, initial: bool) -> dict[str, Any]:
        """Slots given by a payload's entities (/start_lost_notice{"license_type": ...}, /inform{...}); a typed
        first message gives what the NLU found in it (青岛某某餐饮有限公司的食品经营许可证昨天丢了)."""
        msg, out = turn.msg, {}
        for spec in form.slots:
            if not empty(turn.state.slots.get(spec.name)) and spec.name != turn.state.requested_slot:
                continue
            direct = msg.payload_value(spec.name)
            if direct is None and spec.entity and msg.payload is not None:
                direct = msg.payload_value(spec.entity)  # under the entity's name, as a Rasa domain declares it
            if direct is not None:
                out[spec.name] = direct
            elif initial and spec.entity and msg.payload is None and msg.entities(spec.entity):
                values = msg.entities(spec.entity)
                out[spec.name] = list(values) if spec.is_list else values[0]
                if spec.entity == "org_name":
                    out[spec.name] = whole_org_name(msg.text, str(values[0]))
        return out

    async def fill(self, form: FormSpec, cands: Mapping[str, Any], turn: Turn, report: bool = False,
                   say_back: str | None = None) -> None:
        """Set the given values, validate them (the action server), then ask the next gap. With `report`, every
        value taken besides the one asked is said back ("已记下——…"), before the re-asks of the rejected ones;
        `say_back` names a response that says back every value taken, the asked one too (a correction)."""
        st = turn.state
        asked = st.requested_slot
        spoke_for: set[str] = set()
        if cands:
            for name, value in cands.items():
                st.set_slot(name, value, turn.now)
            mark = turn.mark()
            said = await self.runner.run(form.validate_action, turn)
            taken = [n for n in form.slot_names if n in cands and not empty(st.slots.get(n))]
            if taken and (say_back or (report and (len(cands) > 1 or taken != [asked]))):
                noted = "；".join(f"{spec.label}：{shown(st.slots.get(spec.name))}" for spec in form.slots
                                 if spec.name in taken)
                turn.say_before(mark, self.responses.render(say_back or "utter_noted", {"fields": noted}))
            if said:
                spoke_for = {name for name in cands if empty(st.slots.get(name))}
        if st.active_form == form.name:
            await self.proceed(form, turn, spoke_for)

    async def proceed(self, form: FormSpec, turn: Turn, spoke_for: Collection[str] = ()) -> None:
        """Ask the first missing slot (a rejected answer's own re-ask stands for its question); when none is
        missing, read back (or run the submit action)."""
        st = turn.state
        missing = [n for n in form.slot_names if empty(st.slots.get(n))]
        if missing:
            reasked = [n for n in missing if n in spoke_for]
            st.set_slot("requested_slot", (reasked or missing)[0], turn.now)
            if not reasked:
                await self.ask(form, missing[0], turn)
            return
        st.set_form(None, turn.now)
        if form.confirm:
            st.confirming = form.name
            self.readback(form, turn)
        else:
            await self.runner.run(form.submit_action, turn)

    async def ask(self, form: FormSpec, slot: str | None, turn: Turn) -> None:
        """Ask for one slot: action_ask_<slot> when it has one, else utter_ask_<slot>."""
        if slot is None:
            await self.proceed(form, turn)
            return
        spec = form.slot(slot)
        if spec is not None and spec.ask_action:
            await self.runner.run(spec.ask_action, turn)
        else:
            turn.say(self.responses.render(f"utter_ask_{slot}", turn.state.slots))

    # ---- read-back, submit, cancel ------------------------------------------------------------
    def readback(self, form: FormSpec, turn: Turn) -> None:
        """Every field with its value, and the 确认提交 / 修改 / 取消 buttons."""
        slots = turn.state.slots
        values = {n: shown(slots.get(n)) for n in form.slot_names}
        fields = [{"slot": s.name, "label": s.label, "value": values[s.name]} for s in form.slots]
        name = form.readback_response or "utter_confirm_submit"
        custom = {"type": "readback", "form": form.name, "fields": fields}
        turn.say(self.responses.render(name, values, buttons=READBACK_BUTTONS, custom=custom))

    async def submit(self, form: FormSpec, turn: Turn) -> None:
        """Run the submit action; a stored filing ends the confirmation."""
        st = turn.state
        turn.handled_as = FORM
        st.set_slot("filing_id", None, turn.now)
        await self.runner.run(form.submit_action, turn)
        if st.slots.get("filing_id"):
            st.confirming = None
            st.last_submit = form.name
            st.cancelled_form = None

    def cancel(self, form: FormSpec, turn: Turn, quiet: bool = False) -> None:
        """Drop the form and its answers; nothing is stored, and its read-back buttons no longer submit."""
        st = turn.state
        turn.handled_as = FORM
        for name in form.slot_names:
            st.slots[name] = None
        if st.active_form:
            st.set_form(None, turn.now)
        st.confirming = None
        st.cancelled_form = form.name
        st.slots["requested_slot"] = None
        if not quiet:
            turn.say(self.responses.render("utter_cancelled"))

    def stale_confirm(self, turn: Turn) -> None:
        """确认提交 of a form that was cancelled: say so, and offer to start again."""
        turn.handled_as = FORM
        form = FORMS[str(turn.state.cancelled_form)]
        buttons = (Button(f"重新办理{form.label}", payload(form.start_intent)),) if form.start_intent else ()
        turn.say(self.responses.render("utter_confirm_cancelled", {"form_label": form.label}, buttons=buttons))

    # ---- corrections --------------------------------------------------------------------------
    async def correct(self, form: FormSpec, slot: str, turn: Turn, value: Any = None) -> None:
        """Re-open one field: take the new value given with the correction, else ask for it again."""
        st = turn.state
        turn.handled_as = FORM
        spec = form.slot(slot)
        if spec is None:
            self.correction_menu(form, turn)
            return
        if st.active_form != form.name:
            st.confirming = None
            st.set_form(form.name, turn.now)
        was_filled = not empty(st.slots.get(slot))
        for name in (slot, *form.resets.get(slot, ())):
            st.slots[name] = None
        if not empty(value):
            st.set_slot("requested_slot", slot, turn.now)
            await self.fill(form, {slot: value}, turn, say_back="utter_corrected" if was_filled else "utter_noted")
            return
        if was_filled or st.requested_slot != slot:
            turn.say(self.responses.render("utter_correct_slot", {"label": spec.label}))
        st.set_slot("requested_slot", slot, turn.now)
        await self.ask(form, slot, turn)

    def correction_menu(self, form: FormSpec, turn: Turn) -> None:
        """Which field to change? One button per field."""
        turn.handled_as = FORM
        buttons = tuple(Button(s.label, f'/correct{{"slot": "{s.name}"}}') for s in form.slots)
        turn.say(self.responses.render("utter_which_correction", buttons=buttons))

    def summary(self, form: FormSpec, turn: Turn) -> None:
        """What is filled in so far."""
        turn.handled_as = FORM
        slots = turn.state.slots
        lines = [f"{s.label}：{shown(slots.get(s.name))}" for s in form.slots if not empty(slots.get(s.name))]
        name = "utter_filled_so_far" if lines else "utter_nothing_filled"
        turn.say(self.responses.render(name, {"fields": "\n".join(lines), "form_label": form.label}))
