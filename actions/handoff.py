"""Asking for a person: the handoff card (留言, and 呼叫导服 at a hall kiosk; closed hours said plainly). The 留言
form is declared with the others (actions/forms/handoff.py); the ticket itself is opened by the dialogue."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import ActionDeps
from actions.payloads import button
from actions.texts import text
from knowledge.hours import hall_status

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
