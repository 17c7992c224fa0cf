"""Each form is declared once (actions/forms): the filing models, the actions, the dialogue's domain and a Rasa
domain all follow the declaration."""

from __future__ import annotations

import datetime as dt
from typing import Any

from actions.forms import FILING_FORMS, FORMS, LOST_NOTICE, MEDICAL_VALIDATION, SlotContext, ask_actions, form_responses
from actions.registry import build_registry
from assistant.dialogue.domain import ACTIONS, build_domain
from assistant.dialogue.responses import Responses


def test_filing_models_take_exactly_the_forms_fields() -> None:
    for form in (LOST_NOTICE, MEDICAL_VALIDATION):
        assert form.filing is not None
        fields = set(form.filing.model.model_fields)
        assert set(form.filing_data({})) == fields, form.name
    assert MEDICAL_VALIDATION.filing_data({"validation_items": ["a"]})["items"] == ["a"]


def test_every_declared_action_is_registered(demo_kb: Any) -> None:
    names = set(build_registry(lambda: demo_kb, None).names())
    assert set(ACTIONS) <= names
    assert {"action_ask_license_type", "action_ask_validation_items", "action_ask_license_valid_until"} <= set(ask_actions())
    assert FILING_FORMS["start_lost_notice"] is LOST_NOTICE


def test_rasa_domain_sections_come_from_the_declarations() -> None:
    domain = build_domain(Responses.load().table, 60)
    for form in FORMS.values():
        assert domain["forms"][form.name] == {"required_slots": list(form.slot_names)}
        for spec in form.slots:
            slot = domain["slots"][spec.name]
            assert {"type": "from_text", "conditions": [{"active_loop": form.name, "requested_slot": spec.name}]} \
                in slot["mappings"]
            if spec.entity:
                assert {"type": "from_entity", "entity": spec.entity} in slot["mappings"]
            assert domain["responses"][f"utter_ask_{spec.name}"][0]["text"] == spec.ask[0]
    assert domain["slots"]["contact_phone"]["mappings"].count({"type": "from_entity", "entity": "phone"}) == 1


def test_intro_counts_and_readback_labels_follow_the_fields() -> None:
    texts = form_responses()
    assert "一共9项信息" in texts["utter_start_lost_notice"][0]["text"]
    assert "一共6项信息" in texts["utter_start_medical_validation"][0]["text"]
    readback = texts["utter_confirm_submit_lost_notice"][0]["text"]
    assert [line.split("：")[0] for line in readback.splitlines()[1:-1]] == [s.label for s in LOST_NOTICE.slots]


def test_example_dates_are_always_ahead(demo_kb: Any) -> None:
    spec = MEDICAL_VALIDATION.slot("license_valid_until")
    assert spec is not None
    for day in (dt.date(2026, 1, 31), dt.date(2026, 8, 31), dt.date(2026, 11, 20), dt.date(2027, 12, 31)):
        example = dt.date.fromisoformat(spec.prompt_values(day)["example"])
        assert day < example <= day + dt.timedelta(days=160), (day, example)
    ctx = SlotContext(demo_kb, dt.date(2026, 11, 20), {})
    assert spec.check("2027-03-31", ctx).value == "2027-03-31"


def test_reference_examples_shown_to_people_have_the_shape_references_have() -> None:
    """Every 受理编号 an ask, a help text or a response shows as an example is one the store makes today (the status
    help once described the older 11-digit numbers)."""
    import re
    from pathlib import Path

    from nlu.references import CANONICAL, IN_TEXT

    texts = [t for form in FORMS.values() for slot in form.slots for t in (*slot.ask, slot.help or "")]
    texts += (Path(__file__).parents[2] / "actions" / "responses.yml").read_text(encoding="utf-8").splitlines()
    examples = [m.group(1) for t in texts for m in IN_TEXT.finditer(t)]
    assert examples, "no example reference found"
    for example in examples:
        assert CANONICAL.match(example) and "-" in example, example
    assert not any(re.search(r"受理编号[^。]*\d+\s*位数字", t) for t in texts if "受理编号" in t), "a 受理编号 described by digits only"
