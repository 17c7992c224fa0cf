"""Every form of 灵灵, declared once (spec.py): read by the dialogue, the rasa-sdk actions and a Rasa domain."""

from __future__ import annotations

from typing import Any

from actions.forms.handoff import HANDOFF
from actions.forms.lookups import NOTICE_SEARCH, STATUS, VALIDATION_DUE
from actions.forms.lost_notice import LOST_NOTICE
from actions.forms.medical_validation import MEDICAL_VALIDATION
from actions.forms.spec import CrossCheck, FilingBinding, FormSpec, Offer, SlotContext, SlotSpec

FORMS: dict[str, FormSpec] = {f.name: f for f in (LOST_NOTICE, MEDICAL_VALIDATION, STATUS, VALIDATION_DUE, NOTICE_SEARCH,
                                                                  HANDOFF)}
FILING_FORMS: dict[str, FormSpec] = {f.start_intent: f for f in (LOST_NOTICE, MEDICAL_VALIDATION) if f.start_intent}


def form_responses() -> dict[str, list[dict[str, Any]]]:
    """The forms' responses (questions, intros, read-backs, help), Rasa format; a name twice is an error."""
    out: dict[str, list[dict[str, Any]]] = {}
    for form in FORMS.values():
        for name, variants in form.responses().items():
            if name in out and out[name] != variants:
                raise ValueError(f"response {name} is declared differently by two forms")
            out[name] = variants
    return out


def rasa_slots() -> dict[str, dict[str, Any]]:
    """Rasa's `slots:` of every form field (a field shared by two forms gets the mappings of both)."""
    out: dict[str, dict[str, Any]] = {}
    for form in FORMS.values():
        for name, entry in form.rasa_slots().items():
            if name not in out:
                out[name] = entry
                continue
            for mapping in entry["mappings"]:
                if mapping not in out[name]["mappings"]:
                    out[name]["mappings"].append(mapping)
    return out


def rasa_forms() -> dict[str, dict[str, Any]]:
    """Rasa's `forms:`."""
    return {f.name: f.rasa_form() for f in FORMS.values()}


def ask_actions() -> tuple[str, ...]:
    """The action_ask_<slot> actions (questions that need the clock or the knowledge base)."""
    names = [s.ask_action for f in FORMS.values() for s in f.slots if s.ask_action]
    return tuple(dict.fromkeys(names))


__all__ = [
    "FILING_FORMS", "FORMS", "HANDOFF", "LOST_NOTICE", "MEDICAL_VALIDATION", "NOTICE_SEARCH", "STATUS", "VALIDATION_DUE",
    "CrossCheck",
    "FilingBinding",
    "FormSpec", "Offer", "SlotContext", "SlotSpec", "ask_actions", "form_responses", "rasa_forms", "rasa_slots",
]
