"""Asking for a person: the handoff card (留言, and 呼叫导服 at a hall kiosk; closed hours said plainly) and the
checks of a message left for staff. The ticket itself is opened by the dialogue (assistant/handoff)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import validators as v
from actions.common import ActionDeps, answer, button
from actions.texts import text
from knowledge.hours import hall_status

HANDOFF_FORM = "handoff_form"
HOTLINE = "12345"  # 政务服务便民热线
KIOSK_CHANNEL = "kiosk"


def at_kiosk(tracker: Tracker) -> bool:
    """The message came from a hall kiosk (the kiosk page's channel, or its metadata)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    face = metadata.get("face") if isinstance(metadata, dict) else None
    return tracker.get_latest_input_channel() == KIOSK_CHANNEL or face == "kiosk"


class HumanHandoff(Action):
    """How to reach a person: leave a message (any channel) or call a staff member to the kiosk (hall kiosks,
    during opening hours). Outside the hall's hours it says so and still takes the message."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return "action_human_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        hall = self.deps.hall()
        now = self.deps.clock()
        status = hall_status(hall.hours if hall else None, now, self.deps.working_day)
        kiosk = at_kiosk(tracker)
        buttons = [button("留言", "leave_message")]
        if status.open is False:
            msg = text(domain, "utter_human_handoff_closed", hours=status.hours, opens=status.opens(now) or "下个工作日")
        elif kiosk:
            buttons.insert(0, button("呼叫导服", "call_staff"))
            msg = text(domain, "utter_human_handoff_kiosk")
        else:
            msg = text(domain, "utter_human_handoff")
        card = {"type": "handoff", "open": status.open, "hours": status.hours, "opens": status.opens(now),
                "kiosk": kiosk, "hotline": HOTLINE}
        dispatcher.utter_message(text=msg, buttons=buttons, json_message=card)
        return []


class ValidateHandoffForm(FormValidationAction):
    """The message for staff: a question of a few words at least, and a phone number to call back (checked as
    every form's contact phone)."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return f"validate_{HANDOFF_FORM}"

    def validate_handoff_question(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        check = v.check_text(value, "utter_invalid_handoff_question", min_len=4, max_len=500)
        if check.ok:  # staff read the words as typed (full-width punctuation kept)
            check = v.Check(" ".join(str(value).split()))
        return answer("handoff_question", check, dispatcher, domain)

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        return answer("callback_phone", v.check_phone(value), dispatcher, domain)
