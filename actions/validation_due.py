"""When does our validation fall due (我们的校验什么时候到期): the institution identifies itself with its 登记号
and the last four digits of the contact phone in the registry; it hears its due date, the days left, any reminder
waiting for it in the chat first, and a 开始办理 button when it is within three months (or overdue)."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import validators as v
from actions.common import ActionDeps, answer
from actions.filings.dates import add_months
from actions.texts import text
from knowledge.clock import today

FORM = "validation_due_form"
REMIND_MONTHS = 3


def cn(d: Any) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def start_button(name: str, registration_number: str) -> dict[str, str]:
    """开始办理: the validation form, with the institution's name and 登记号 filled in."""
    values = json.dumps({"institution_name": name, "registration_number": registration_number}, ensure_ascii=False)
    return {"title": "开始办理", "payload": f"/start_medical_validation{values}"}


class ValidateValidationDueForm(FormValidationAction):
    """Checks the 登记号 and the last four digits of the phone."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return f"validate_{FORM}"

    def validate_registration_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        return answer("registration_number", v.check_registration_number(value), dispatcher, domain)

    def validate_phone_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        return answer("phone_last4", v.check_last4(value), dispatcher, domain)


class ValidationDue(Action):
    """The institution's due date and days left, once it has identified itself."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return "action_validation_due"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reg = v.check_registration_number(tracker.get_slot("registration_number"))
        last4 = v.check_last4(tracker.get_slot("phone_last4"))
        forget = [SlotSet("registration_number", None), SlotSet("phone_last4", None)]
        if self.deps.institutions is None or not (reg.ok and last4.ok):
            dispatcher.utter_message(text=text(domain, "utter_due_not_found"))
            return forget
        found = self.deps.institutions.identify(reg.value, last4.value)
        if found.status == "locked":
            dispatcher.utter_message(text=text(domain, "utter_due_too_many"))
            return forget
        inst = found.institution
        if found.status != "ok" or inst is None:
            dispatcher.utter_message(text=text(domain, "utter_due_not_found"))
            return forget
        told = self.deps.reminders.tell_in_chat(inst.registration_number) if self.deps.reminders else []
        for reminder in told:  # a reminder waiting for this institution is told first
            dispatcher.utter_message(text=text(domain, "utter_due_reminder", message=reminder.message))
        day = today(self.deps.clock)
        until = inst.license_valid_until
        left = (until - day).days
        values = {"institution": inst.name, "date": cn(until), "days": left}
        if left < 0:
            dispatcher.utter_message(text=text(domain, "utter_due_overdue", **{**values, "days": -left}),
                                     buttons=[start_button(inst.name, inst.registration_number)])
        elif until <= add_months(day, REMIND_MONTHS):
            dispatcher.utter_message(text=text(domain, "utter_due_soon", **values),
                                     buttons=[start_button(inst.name, inst.registration_number)])
        else:
            dispatcher.utter_message(text=text(domain, "utter_due_later", **values,
                                               open_on=cn(add_months(until, -REMIND_MONTHS))))
        return [SlotSet("phone_last4", None)]
