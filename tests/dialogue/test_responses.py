"""Every response the code names exists in responses.yml, and the domain is a valid Rasa domain shape."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.dialogue.domain import ACTIONS, build_domain
from assistant.dialogue.forms import FORMS
from assistant.dialogue.messages import BotMessage, Button
from assistant.dialogue.responses import Responses, first

REPO = Path(__file__).resolve().parents[2]


def test_named_responses_exist() -> None:
    table = Responses.load().table
    sources = [*(REPO / "actions").glob("*.py"), *(REPO / "assistant" / "dialogue").glob("*.py")]
    named = {m for p in sources for m in re.findall(r"\"(utter_[a-z_]+)\"", p.read_text(encoding="utf-8"))}
    assert named, "no response names found"
    missing = sorted(n for n in named if n not in table)
    assert not missing, f"responses.yml lacks {missing}"
    for form in FORMS.values():
        for slot in form.slot_names:
            assert f"utter_ask_{slot}" in table or f"action_ask_{slot}" in ACTIONS, slot
        for name in (form.intro, form.readback):
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
