"""修改后重新提交: a rejected filing's form again, with the earlier answers filled in and the fields staff asked
to correct asked anew; the submit links the new filing to the rejected one (FilingStore `resubmission_of`).

Only a filing this conversation owns (created here, or proved with its id and the phone's last four) is
filled in: its answers are personal data.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import RESUBMISSION_SLOT, ActionDeps, entity_values, session_filings
from actions.texts import text

FORMS = {"lost_notice": "lost_notice_form", "medical_validation": "medical_validation_form"}
SLOT_OF = {"items": "validation_items"}  # stored field -> form slot, where the names differ
ALSO_CLEARS = {"license_type": ("license_number",)}  # a new license type needs its number again


def prefill_events(data: dict[str, Any], fix_fields: tuple[str, ...]) -> tuple[list[EventType], list[str]]:
    """Slot events of the earlier answers (the fields to fix left empty), and the fields left empty."""
    cleared = list(dict.fromkeys([*fix_fields, *(x for f in fix_fields for x in ALSO_CLEARS.get(f, ()))]))
    events: list[EventType] = []
    for field, value in data.items():
        events.append(SlotSet(SLOT_OF.get(field, field), None if field in cleared else value))
    return events, cleared


class PrefillResubmission(Action):
    """Fills the form being started from the rejected filing named by the button's `resubmission_of`."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return "action_prefill_resubmission"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        from actions.filings.states import FIELD_LABELS, RESUBMITTABLE

        named = [str(x).strip().upper() for x in entity_values(tracker, RESUBMISSION_SLOT) if x]
        stop: list[EventType] = [ActiveLoop(None), SlotSet(RESUBMISSION_SLOT, None)]
        if not named or named[0] not in session_filings(tracker) or self.deps.filings is None:
            dispatcher.utter_message(text=text(domain, "utter_resubmit_verify"))
            return stop
        view = self.deps.filings.get(named[0])
        form = (tracker.active_loop or {}).get("name")
        if view is None or FORMS.get(view.kind) != form:
            dispatcher.utter_message(text=text(domain, "utter_resubmit_verify"))
            return stop
        if view.resubmitted_as:
            dispatcher.utter_message(text=text(domain, "utter_resubmit_done", filing_id=view.filing_id,
                                               new_id=view.resubmitted_as))
            return stop
        if view.status not in RESUBMITTABLE:
            dispatcher.utter_message(text=text(domain, "utter_resubmit_not_needed", filing_id=view.filing_id,
                                               status_label=view.status_label))
            return stop
        events, cleared = prefill_events(view.data, view.fix_fields)
        if cleared:
            todo = "请重新填写：" + "、".join(FIELD_LABELS.get(f, f) for f in cleared) + "。"
        else:
            todo = "请按驳回原因核对，需要改的内容点“修改”更正后再提交。"
        dispatcher.utter_message(text=text(domain, "utter_resubmit_start", filing_id=view.filing_id, todo=todo))
        return [*events, SlotSet(RESUBMISSION_SLOT, view.filing_id)]
