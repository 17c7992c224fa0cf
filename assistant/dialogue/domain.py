"""The Rasa domain the dialogue sends with every action call: responses, slots, forms and actions."""

from __future__ import annotations

from typing import Any

from actions.forms import FORMS, ask_actions, rasa_forms, rasa_slots
from nlu.pipeline import CONTRACT_INTENTS

RASA_VERSION = "3.6.21"  # the Rasa version our action calls speak (rasa-sdk checks major.minor)
EXTRA_INTENTS = ("inform", "correct", "ask_faq", "restart", "leave_message", "call_staff")  # buttons' payloads only
ENTITIES = ("license_type", "validation_item", "uscc", "phone", "license_number", "filing_id", "date", "org_name",
            "faq_id")
EXTRA_SLOTS = ("requested_slot", "filing_id", "form_session_id", "phone_last4", "notice_query", "session_filings",
               "resubmission_of")
# Run by the dialogue itself, not an action server: they open handoff tickets (assistant/dialogue/handoff.py).
LOCAL_ACTIONS = ("action_leave_message", "action_call_staff")
ACTIONS = tuple(dict.fromkeys((  # each once: Rasa refuses a domain listing an action twice
    *(f.validate_action for f in FORMS.values()), *ask_actions(),
    *(f.submit_action for f in FORMS.values() if f.submit_action not in LOCAL_ACTIONS),
    "action_answer_faq", "action_query_office_hours", "action_human_handoff", "action_prefill_resubmission",
    "action_validation_due",
)))


def _slots() -> dict[str, dict[str, Any]]:
    slots = rasa_slots()  # every form field, from the forms' declarations (actions/forms)
    for name in EXTRA_SLOTS:
        slots.setdefault(name, {"type": "any", "influence_conversation": False, "mappings": [{"type": "custom"}]})
    return slots


def build_domain(responses: dict[str, list[dict[str, Any]]], idle_minutes: int) -> dict[str, Any]:
    """The domain dict (Rasa 3.x shape) with forms.<name>.required_slots."""
    return {
        "version": "3.1",
        "intents": [*CONTRACT_INTENTS, *EXTRA_INTENTS],
        "entities": list(ENTITIES),
        "slots": _slots(),
        "forms": rasa_forms(),
        "actions": [*ACTIONS, *LOCAL_ACTIONS],
        "responses": responses,
        "session_config": {"session_expiration_time": idle_minutes, "carry_over_slots_to_new_session": False},
    }
