"""The lost-license notice form (遗失公告): slot validation, the license-type question and the submit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import validators as v
from actions.common import RESUBMISSION_SLOT, SESSION_FILINGS_SLOT, ActionDeps, answer, button, idempotency_key, with_session_filing
from actions.receipts import utter_receipt
from actions.texts import text

FORM = "lost_notice_form"
SLOTS = ("company_name", "uscc", "license_type", "license_number", "lost_copy", "lost_date", "circumstances",
         "contact_name", "contact_phone")
COMMON_TYPES = 4  # the first license types of the knowledge base are offered as buttons


def license_type_buttons(deps: ActionDeps) -> list[dict[str, str]]:
    """Buttons for the most common license types."""
    return [button(k.name, "inform", license_type=k.name) for k in deps.kb.license_types()[:COMMON_TYPES]]


def lost_copy_buttons() -> list[dict[str, str]]:
    """正本 / 副本 / 正副本 as buttons (the same as utter_ask_lost_copy's)."""
    return [button(title, "inform", lost_copy=value)
            for title, value in (("正本", "正本"), ("副本", "副本"), ("正副本都遗失了", "正副本"))]


class ValidateLostNoticeForm(FormValidationAction):
    """Checks each answer; only the slots the domain's form asks for are validated (rasa-sdk semantics)."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return f"validate_{FORM}"

    def validate_company_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        return answer("company_name", v.check_org_name(value, "utter_invalid_company_name"), dispatcher, domain)

    def validate_uscc(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: DomainDict) -> dict[str, Any]:
        return answer("uscc", v.check_uscc(value), dispatcher, domain)

    def validate_license_type(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        check = v.check_license_type(value, self.deps.kb.license_types())
        return answer("license_type", check, dispatcher, domain, buttons=license_type_buttons(self.deps))

    def validate_license_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        check = v.check_license_number(value, self.deps.kb.license_types(), tracker.get_slot("license_type"))
        return answer("license_number", check, dispatcher, domain)

    def validate_lost_copy(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        return answer("lost_copy", v.check_lost_copy(value), dispatcher, domain, buttons=lost_copy_buttons())

    def validate_lost_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        check = v.check_past_date(value, self.deps.today(), "utter_invalid_lost_date")
        return answer("lost_date", check, dispatcher, domain)

    def validate_circumstances(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        return answer("circumstances", v.check_text(value, "utter_invalid_circumstances"), dispatcher, domain)

    def validate_contact_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        return answer("contact_name", v.check_person_name(value), dispatcher, domain)

    def validate_contact_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        return answer("contact_phone", v.check_phone(value), dispatcher, domain)


class AskLicenseType(Action):
    """Asks for the license type with buttons of the common types (Rasa's action_ask_<slot>)."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return "action_ask_license_type"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=text(domain, "utter_ask_license_type"), buttons=license_type_buttons(self.deps))
        return []


class SubmitLostNotice(Action):
    """Stores the notice application through FilingStore and sends the receipt."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return "action_submit_lost_notice"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        from actions.filings import FilingError, LostNoticeData

        slots = {s: tracker.get_slot(s) for s in SLOTS}
        try:
            data = LostNoticeData(
                company_name=slots["company_name"], uscc=slots["uscc"], license_type=slots["license_type"],
                license_number=slots["license_number"], lost_date=dt.date.fromisoformat(str(slots["lost_date"])),
                circumstances=slots["circumstances"], contact_name=slots["contact_name"],
                contact_phone=slots["contact_phone"], lost_copy=slots["lost_copy"],
            )
        except (ValidationError, ValueError, TypeError):
            dispatcher.utter_message(text=text(domain, "utter_submit_incomplete"))
            return [SlotSet("filing_id", None)]
        if self.deps.filings is None:
            dispatcher.utter_message(text=text(domain, "utter_submit_failed"))
            return [SlotSet("filing_id", None)]
        try:
            view = self.deps.filings.submit_lost_notice(data, idempotency_key(tracker, slots), actor="applicant",
                                                  resubmission_of=tracker.get_slot(RESUBMISSION_SLOT))
        except FilingError as exc:
            dispatcher.utter_message(text=exc.message)
            return [SlotSet("filing_id", None)]
        utter_receipt(dispatcher, domain, view)
        return [SlotSet("filing_id", view.filing_id),
                SlotSet(SESSION_FILINGS_SLOT, with_session_filing(tracker, view.filing_id))]
