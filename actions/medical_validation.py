"""The medical-institution validation form (医疗机构校验): validation, the items question and the submit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import validators as v
from actions.common import RESUBMISSION_SLOT, SESSION_FILINGS_SLOT, ActionDeps, answer, idempotency_key, with_session_filing
from actions.receipts import utter_receipt
from actions.texts import text

FORM = "medical_validation_form"
SLOTS = ("institution_name", "registration_number", "validation_items", "license_valid_until", "contact_name",
         "contact_phone")


def items_select(deps: ActionDeps) -> dict[str, Any]:
    """The custom `multi_select` card of the six validation items; the client answers
    /inform{"validation_item": [...]} (the entity a Rasa domain declares; the slot's name is read too)."""
    return {
        "type": "multi_select",
        "slot": "validation_items",
        "entity": "validation_item",
        "options": [{"title": k.name, "value": k.name} for k in deps.kb.validation_items()],
        "min": 1,
    }


class ValidateMedicalValidationForm(FormValidationAction):
    """Checks each answer of the validation application."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return f"validate_{FORM}"

    def validate_institution_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        check = v.check_org_name(value, "utter_invalid_institution_name")
        return answer("institution_name", check, dispatcher, domain)

    def validate_registration_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        return answer("registration_number", v.check_registration_number(value), dispatcher, domain)

    def validate_validation_items(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        check = v.check_validation_items(value, self.deps.kb.validation_items())
        return answer("validation_items", check, dispatcher, domain, custom=items_select(self.deps))

    def validate_license_valid_until(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        check = v.check_any_date(value, self.deps.today(), "utter_invalid_license_valid_until")
        return answer("license_valid_until", check, dispatcher, domain)

    def validate_contact_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        return answer("contact_name", v.check_person_name(value), dispatcher, domain)

    def validate_contact_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        return answer("contact_phone", v.check_phone(value), dispatcher, domain)


class AskValidationItems(Action):
    """Asks for the items with the multi-select card (Rasa's action_ask_<slot>)."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return "action_ask_validation_items"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=text(domain, "utter_ask_validation_items"), json_message=items_select(self.deps))
        return []


class SubmitMedicalValidation(Action):
    """Stores the validation application through FilingStore and sends the receipt."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return "action_submit_medical_validation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        from actions.filings import FilingError, ValidationData

        slots = {s: tracker.get_slot(s) for s in SLOTS}
        try:
            data = ValidationData(
                institution_name=slots["institution_name"], registration_number=slots["registration_number"],
                items=list(slots["validation_items"] or []),
                license_valid_until=dt.date.fromisoformat(str(slots["license_valid_until"])),
                contact_name=slots["contact_name"], contact_phone=slots["contact_phone"],
            )
        except (ValidationError, ValueError, TypeError):
            dispatcher.utter_message(text=text(domain, "utter_submit_incomplete"))
            return [SlotSet("filing_id", None)]
        if self.deps.filings is None:
            dispatcher.utter_message(text=text(domain, "utter_submit_failed"))
            return [SlotSet("filing_id", None)]
        try:
            view = self.deps.filings.submit_validation(data, idempotency_key(tracker, slots), actor="applicant",
                                                  resubmission_of=tracker.get_slot(RESUBMISSION_SLOT))
        except FilingError as exc:
            dispatcher.utter_message(text=exc.message)
            return [SlotSet("filing_id", None)]
        utter_receipt(dispatcher, domain, view)
        return [SlotSet("filing_id", view.filing_id),
                SlotSet(SESSION_FILINGS_SLOT, with_session_filing(tracker, view.filing_id))]
