"""Every response the code names exists (the actions' in actions/responses.yml, the dialogue's in either), and
the domain is a valid Rasa domain shape."""

from __future__ import annotations

import re
from pathlib import Path

from actions.forms import FORMS
from actions.texts import bundled_responses
from assistant.dialogue.domain import ACTIONS, build_domain
from assistant.dialogue.messages import BotMessage, Button
from assistant.dialogue.responses import Responses, first

REPO = Path(__file__).resolve().parents[2]


def _named(folder: Path) -> set[str]:
    return {m for p in folder.glob("*.py") for m in re.findall(r"\"(utter_[a-z0-9_]+)\"", p.read_text(encoding="utf-8"))}


def test_named_responses_exist() -> None:
    table = Responses.load().table
    in_actions, in_dialogue = _named(REPO / "actions"), _named(REPO / "assistant" / "dialogue")
    assert "utter_invalid_phone_last4" in in_actions and "utter_greet" in in_dialogue
    missing = sorted(n for n in in_actions if n not in bundled_responses())
    assert not missing, f"actions/responses.yml lacks {missing} (the action server runs without the dialogue's texts)"
    missing = sorted(n for n in in_dialogue if n not in table)
    assert not missing, f"no responses.yml has {missing}"
    for form in FORMS.values():
        for slot in form.slot_names:
            assert f"utter_ask_{slot}" in table or f"action_ask_{slot}" in ACTIONS, slot
        for name in (form.intro_response, form.readback_response):
            assert name is None or name in table


def test_domain_shape() -> None:
    domain = build_domain(Responses.load().table, 60)
    assert domain["forms"]["lost_notice_form"]["required_slots"] == list(FORMS["lost_notice_form"].slot_names)
    assert domain["slots"]["validation_items"]["type"] == "list"
    assert {"type": "from_entity", "entity": "uscc"} in domain["slots"]["uscc"]["mappings"]
    assert "utter_greet" in domain["responses"] and "action_submit_lost_notice" in domain["actions"]


def test_render_fills_placeholders_and_adds_buttons() -> None:
    r = Responses.load(choose=first)
    msg = r.render("utter_submitted", {"filing_id": "LN20261120001", "contact_phone": "13812345678"},
                   buttons=(Button("好", "/affirm"),))
    assert msg.text and "LN20261120001" in msg.text and "{" not in msg.text
    assert msg.to_wire("u") == {"recipient_id": "u", "text": msg.text, "buttons": [{"title": "好", "payload": "/affirm"}]}
    assert BotMessage(custom={"type": "x"}).to_wire("u") == {"recipient_id": "u", "custom": {"type": "x"}}
