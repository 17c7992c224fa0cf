"""The rasa-sdk actions of every form, driven by its declaration (actions/forms): validate_<form>,
action_ask_<slot> (questions with a computed example date, buttons or a card) and the filing's submit."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import RESUBMISSION_SLOT, SESSION_FILINGS_SLOT, ActionDeps, idempotency_key, with_session_filing
from actions.forms import FormSpec, SlotContext, SlotSpec
from actions.receipts import utter_receipt
from actions.texts import text
from actions.validators import Check


def slot_context(deps: ActionDeps, slots: dict[str, Any]) -> SlotContext:
    """What the checks consult, now."""
    return SlotContext(kb=deps.kb, today=deps.today(), slots=slots, filings=deps.filings)


def say_check(dispatcher: CollectingDispatcher, domain: DomainDict, spec: SlotSpec, check: Check,
              ctx: SlotContext) -> None:
    """Utter a check's re-ask (rejected) or note (accepted with a remark), with its buttons or card."""
    name = check.error or check.note
    if not name:
        return
    values = {**spec.prompt_values(ctx.today), **check.values}
    kwargs: dict[str, Any] = {"buttons": list(check.buttons)} if check.buttons else {}
    if check.custom:
        kwargs["json_message"] = check.custom
    dispatcher.utter_message(text=text(domain, name, **values), **kwargs)


class ValidateForm(FormValidationAction):
    """Checks each answer given since the last user message with its slot's declared check (rasa-sdk semantics:
    only the form's required slots; a rejected answer sets the slot to None and utters its own re-ask)."""

    def __init__(self, form: FormSpec, deps: ActionDeps):
        self.form = form
        self.deps = deps

    def name(self) -> str:
        return self.form.validate_action

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> list[EventType]:
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        given = tracker.slots_to_validate()
        values = dict(tracker.slots)
        ctx = slot_context(self.deps, values)
        events: list[EventType] = []
        for name, value in given.items():
            spec = self.form.slot(name)
            if spec is None or name not in required:
                continue
            check = spec.check(value, ctx) if value is not None else Check(error=None, value=None)
            say_check(dispatcher, domain, spec, check, ctx)
            values[name] = check.value if check.ok else None
            tracker.slots[name] = values[name]
            events.append(SlotSet(name, values[name]))
        for cross in self.form.cross_checks:
            if any(s in given for s in cross.slots) and all(values.get(s) is not None for s in cross.slots):
                note = cross.check(ctx)
                if note is not None and note.note:
                    dispatcher.utter_message(text=text(domain, note.note, **note.values))
        return events


class AskSlot(Action):
    """action_ask_<slot>: the slot's question with its example date (from the clock), buttons or card."""

    def __init__(self, form: FormSpec, spec: SlotSpec, deps: ActionDeps):
        self.form = form
        self.spec = spec
        self.deps = deps

    def name(self) -> str:
        return self.spec.ask_action or f"action_ask_{self.spec.name}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ctx = slot_context(self.deps, dict(tracker.slots))
        kwargs: dict[str, Any] = {}
        if self.spec.offer is not None:
            offer = self.spec.offer(ctx)
            if offer.buttons:
                kwargs["buttons"] = list(offer.buttons)
            if offer.custom:
                kwargs["json_message"] = offer.custom
        values = {**tracker.slots, **self.spec.prompt_values(ctx.today)}
        dispatcher.utter_message(text=text(domain, f"utter_ask_{self.spec.name}", **values), **kwargs)
        return []


class SubmitFiling(Action):
    """Stores the completed form as its filing through FilingStore (linked to the rejected filing it corrects,
    if any) and sends the receipt; the filing becomes one of the conversation's own."""

    def __init__(self, form: FormSpec, deps: ActionDeps):
        if form.filing is None:
            raise ValueError(f"{form.name} makes no filing")
        self.form = form
        self.binding = form.filing
        self.deps = deps

    def name(self) -> str:
        return self.form.submit_action

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        from actions.filings import FilingError

        slots = {s: tracker.get_slot(s) for s in self.form.slot_names}
        try:
            data = self.binding.model.model_validate(self.form.filing_data(slots))
        except (ValidationError, ValueError, TypeError):
            dispatcher.utter_message(text=text(domain, "utter_submit_incomplete"))
            return [SlotSet("filing_id", None)]
        if self.deps.filings is None:
            dispatcher.utter_message(text=text(domain, "utter_submit_failed"))
            return [SlotSet("filing_id", None)]
        try:
            view = self.binding.submit(self.deps.filings, data, idempotency_key(tracker, slots),
                                       tracker.get_slot(RESUBMISSION_SLOT))
        except FilingError as exc:
            dispatcher.utter_message(text=exc.message)
            return [SlotSet("filing_id", None)]
        utter_receipt(dispatcher, domain, view)
        return [SlotSet("filing_id", view.filing_id),
                SlotSet(SESSION_FILINGS_SLOT, with_session_filing(tracker, view.filing_id))]


def form_actions(forms: list[FormSpec], deps: ActionDeps) -> list[Action]:
    """validate_<form>, action_ask_<slot> and the submit of every form that files something."""
    out: list[Action] = []
    asks: set[str] = set()
    for form in forms:
        out.append(ValidateForm(form, deps))
        for spec in form.slots:
            if spec.ask_action and spec.ask_action not in asks:
                asks.add(spec.ask_action)
                out.append(AskSlot(form, spec, deps))
        if form.filing is not None:
            out.append(SubmitFiling(form, deps))
    return out
