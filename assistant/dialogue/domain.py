"""The Rasa domain the dialogue sends with every action call: responses, slots, forms and actions."""

from __future__ import annotations

from typing import Any

from assistant.dialogue.forms import FORMS
from nlu.pipeline import CONTRACT_INTENTS

RASA_VERSION = "3.6.21"  # the Rasa version our action calls speak (rasa-sdk checks major.minor)
EXTRA_INTENTS = ("inform", "correct", "ask_faq", "restart", "leave_message", "call_staff")  # buttons' payloads only
ENTITIES = ("license_type", "validation_item", "uscc", "phone", "license_number", "filing_id", "date", "org_name",
            "faq_id")
EXTRA_SLOTS = ("requested_slot", "filing_id", "form_session_id", "phone_last4", "notice_query", "session_filings",
               "resubmission_of")
ACTIONS = (
    "validate_lost_notice_form", "action_ask_license_type", "action_submit_lost_notice",
    "validate_medical_validation_form", "action_ask_validation_items", "action_submit_medical_validation",
    "validate_status_form", "action_check_status", "validate_notice_search_form", "action_search_notice",
    "action_answer_faq", "action_query_office_hours", "action_human_handoff", "validate_handoff_form",
    "validate_validation_due_form", "action_validation_due",
    "action_prefill_resubmission",
)
# Run by the dialogue itself, not an action server: they open handoff tickets (assistant/dialogue/handoff.py).
LOCAL_ACTIONS = ("action_leave_message", "action_call_staff")


def _slots() -> dict[str, dict[str, Any]]:
    slots: dict[str, dict[str, Any]] = {}
    for form in FORMS.values():
        for spec in form.slots:
            entry = slots.setdefault(spec.name, {
                "type": "list" if spec.is_list else "text", "influence_conversation": False, "mappings": [],
            })
            if spec.entity and not any(m.get("entity") == spec.entity for m in entry["mappings"]):
                entry["mappings"].append({"type": "from_entity", "entity": spec.entity})
            entry["mappings"].append(
                {"type": "from_text", "conditions": [{"active_loop": form.name, "requested_slot": spec.name}]}
            )
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
        "forms": {f.name: {"required_slots": list(f.slot_names)} for f in FORMS.values()},
        "actions": [*ACTIONS, *LOCAL_ACTIONS],
        "responses": responses,
        "session_config": {"session_expiration_time": idle_minutes, "carry_over_slots_to_new_session": False},
    }
