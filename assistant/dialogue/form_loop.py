"""The form loop (what Rasa's FormAction does): fill slots, validate through the action server,
ask the next slot, read back, confirm, submit, correct and cancel."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from typing import Any

from actions.validators import clean
from assistant.dialogue.domain import ACTIONS
from assistant.dialogue.forms import FORMS, FormSpec
from assistant.dialogue.messages import Button
from assistant.dialogue.responses import Responses
from assistant.dialogue.runner import FORM, REQUEST, ActionRunner, Turn

_ORG_TAIL = re.compile(r"^(?:集团股份有限公司|集团有限公司|股份有限公司|有限责任公司|有限公司|分公司|分店|集团)+")
_NEW_VALUE = re.compile(r"(?:改成|改为|换成|应该是|应为|更正为|正确的是)[:：\s]*(.+)$")
READBACK_BUTTONS = (Button("确认提交", "/affirm"), Button("修改", "/correct"), Button("取消", "/deny"))


def empty(value: Any) -> bool:
    """True for a missing slot value."""
    return value is None or value == "" or value == []


def shown(value: Any) -> str:
    """A slot value as the read-back shows it."""
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return "" if value is None else str(value)


def whole_org_name(text: str, found: str) -> str:
    """The NLU may stop an organisation name at an inner suffix (青岛海韵书店|有限公司); take the whole name."""
    at = text.find(found)
    if at < 0:
        return found
    tail = _ORG_TAIL.match(text[at + len(found):])
    return found + tail.group(0) if tail else found


class FormLoop:
    """Drives the active form of a turn's state."""

    def __init__(self, runner: ActionRunner, responses: Responses):
        self.runner = runner
        self.responses = responses

    # ---- starting and filling ---------------------------------------------------------------
    async def start(self, form: FormSpec, turn: Turn) -> None:
        """Activate a form: reset its slots, prefill from the message's entities, ask the first gap."""
        st = turn.state
        turn.handled_as = REQUEST
        for name in form.slot_names:
            st.slots[name] = None
        st.confirming = None
        st.last_submit = None
        st.slots["resubmission_of"] = None
        st.set_slot("form_session_id", uuid.uuid4().hex, turn.now)
        st.set_form(form.name, turn.now)
        if turn.msg.payload_value("resubmission_of"):  # 修改后重新提交: the rejected filing's answers filled in
            await self.runner.run("action_prefill_resubmission", turn)
        elif form.intro:
            turn.say(self.responses.render(form.intro))
        await self._fill(form, self._candidates(form, turn, requested=None, initial=True), turn)

    async def answer(self, turn: Turn) -> None:
        """Take the message as the answer to the requested slot (plus strong entities for other gaps)."""
        st = turn.state
        turn.handled_as = FORM
        form = FORMS[str(st.active_form)]
        requested = st.requested_slot
        cands = self._candidates(form, turn, requested=requested, initial=False)
        if requested and requested not in cands and turn.msg.payload is None:
            spec = form.slot(requested)
            rest = " ".join(turn.msg.text.split()) if spec and spec.any_text else self._rest_text(form, turn, cands)
            if rest:
                cands[requested] = rest
        await self._fill(form, cands, turn)

    @staticmethod
    def _rest_text(form: FormSpec, turn: Turn, cands: dict[str, Any]) -> str:
        """The text without the entities that filled other slots ("张三 13912345678" answers the name)."""
        used = {spec.entity for spec in form.slots if spec.name in cands and spec.entity}
        text = turn.msg.text
        spans = sorted(((e.start, e.end) for e in turn.msg.parse.entities if e.entity in used), reverse=True)
        for start, end in spans:
            text = text[:start] + " " + text[end:]
        rest = clean(text)
        return rest if not spans or len(rest) >= 2 else ""

    def _candidates(self, form: FormSpec, turn: Turn, requested: str | None, initial: bool) -> dict[str, Any]:
        msg = turn.msg
        out: dict[str, Any] = {}
        for spec in form.slots:
            if not empty(turn.state.slots.get(spec.name)) and spec.name != requested:
                continue
            direct = msg.payload_value(spec.name)
            if direct is not None:
                out[spec.name] = direct
                continue
            if not spec.entity or not (initial or spec.strong or spec.name == requested):
                continue
            if spec.is_list and spec.name == requested and msg.payload is None:
                continue  # typed names: the validator resolves every name and alias in the text
            values = msg.entities(spec.entity)
            if spec.name == "phone_last4" and not values and msg.last4():
                values = [msg.last4()]
            if values:
                out[spec.name] = list(values) if spec.is_list else values[0]
                if spec.entity == "org_name":
                    out[spec.name] = whole_org_name(msg.text, str(values[0]))
        return out

    async def _fill(self, form: FormSpec, cands: dict[str, Any], turn: Turn) -> None:
        st = turn.state
        spoke_for: set[str] = set()
        if cands:
            for name, value in cands.items():
                st.set_slot(name, value, turn.now)
            said = await self.runner.run(form.validate_action, turn)
            if said:
                spoke_for = {name for name in cands if empty(st.slots.get(name))}
        if st.active_form == form.name:
            await self.proceed(form, turn, spoke_for)

    async def proceed(self, form: FormSpec, turn: Turn, spoke_for: Collection[str] = ()) -> None:
        """Ask the first missing slot; when none is missing, read back (or run the submit action)."""
        st = turn.state
        missing = [n for n in form.slot_names if empty(st.slots.get(n))]
        if missing:
            st.set_slot("requested_slot", missing[0], turn.now)
            if missing[0] not in spoke_for:
                await self.ask(form, missing[0], turn)
            return
        st.set_form(None, turn.now)
        if form.confirm:
            st.confirming = form.name
            self.readback(form, turn)
        else:
            await self.runner.run(form.submit_action, turn)

    async def ask(self, form: FormSpec, slot: str | None, turn: Turn) -> None:
        """Ask for one slot: action_ask_<slot> when we have one, else utter_ask_<slot>."""
        if slot is None:
            await self.proceed(form, turn)
            return
        action = f"action_ask_{slot}"
        if action in ACTIONS:
            await self.runner.run(action, turn)
        else:
            turn.say(self.responses.render(f"utter_ask_{slot}", turn.state.slots))

    # ---- read-back, submit, cancel ------------------------------------------------------------
    def readback(self, form: FormSpec, turn: Turn) -> None:
        """Every field with its value, and the 确认提交 / 修改 / 取消 buttons."""
        slots = turn.state.slots
        values = {n: shown(slots.get(n)) for n in form.slot_names}
        fields = [{"slot": s.name, "label": s.label, "value": values[s.name]} for s in form.slots]
        name = form.readback if form.readback and form.readback in self.responses else "utter_confirm_submit"
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

    def cancel(self, form: FormSpec, turn: Turn, quiet: bool = False) -> None:
        """Drop the form and its answers; nothing is stored."""
        st = turn.state
        turn.handled_as = FORM
        for name in form.slot_names:
            st.slots[name] = None
        if st.active_form:
            st.set_form(None, turn.now)
        st.confirming = None
        st.slots["requested_slot"] = None
        if not quiet:
            turn.say(self.responses.render("utter_cancelled"))

    # ---- corrections --------------------------------------------------------------------------
    async def correct(self, form: FormSpec, slot: str, turn: Turn) -> None:
        """Re-open one field: take a new value given in the same message, else ask for it again."""
        st = turn.state
        turn.handled_as = FORM
        spec = form.slot(slot)
        if spec is None:
            self.correction_menu(form, turn)
            return
        if st.active_form != form.name:
            st.confirming = None
            st.set_form(form.name, turn.now)
        for name in (slot, *form.resets.get(slot, ())):
            st.slots[name] = None
        turn.say(self.responses.render("utter_correct_slot", {"label": spec.label}))
        value: Any = None
        if spec.entity and turn.msg.entities(spec.entity):
            values = turn.msg.entities(spec.entity)
            value = list(values) if spec.is_list else values[0]
        elif turn.msg.payload is None:
            m = _NEW_VALUE.search(turn.msg.text)
            value = clean(m.group(1)) if m else None
        if value:
            await self._fill(form, {slot: value}, turn)
            return
        st.set_slot("requested_slot", slot, turn.now)
        await self.ask(form, slot, turn)

    def correction_menu(self, form: FormSpec, turn: Turn) -> None:
        """Which field to change? One button per field."""
        turn.handled_as = FORM
        buttons = tuple(Button(s.label, f'/correct{{"slot": "{s.name}"}}') for s in form.slots)
        turn.say(self.responses.render("utter_which_correction", buttons=buttons))
