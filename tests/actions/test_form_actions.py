"""The form actions as a Rasa server calls them (rasa-sdk's protocol, no dialogue of ours): the declared checks,
notes said although the answer is taken (a past expiry, a license already filed), questions with dates from the
clock, and the filing store's view of a license filed twice."""

from __future__ import annotations

import asyncio
from typing import Any

from actions.registry import build_registry
from actions.texts import bundled_responses


def run(executor: Any, action: str, slots: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """A Rasa action call: `given` slots were set after the latest user message (they are validated)."""
    events = [{"event": "user", "text": "x", "parse_data": {}}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in given.items()]
    call = {
        "next_action": action, "sender_id": "rasa-user", "version": "3.6.21",
        "tracker": {"sender_id": "rasa-user", "slots": {**slots, **given}, "latest_message": {"text": "x"},
                    "events": events, "active_loop": {}, "paused": False, "followup_action": None,
                    "latest_action_name": "action_listen"},
        "domain": {"responses": bundled_responses(), "forms": {
            "lost_notice_form": {"required_slots": ["company_name", "uscc", "license_type", "license_number",
                                                    "lost_date", "circumstances", "contact_name", "contact_phone"]},
            "medical_validation_form": {"required_slots": ["institution_name", "registration_number", "validation_items",
                                                           "license_valid_until", "contact_name", "contact_phone"]}}},
    }
    result = asyncio.run(executor.run(call))
    return {"events": result.events, "responses": result.responses}


def texts(result: dict[str, Any]) -> str:
    return "\n".join(r.get("text") or "" for r in result["responses"])


def test_a_license_already_filed_is_pointed_out(demo_kb: Any, filing_store: Any, make_notice: Any) -> None:
    first = filing_store.submit_lost_notice(make_notice(), "k1")
    filing_store.approve(first.filing_id, "staff01")
    filing_store.publish(first.filing_id, "staff01")
    executor = build_registry(lambda: demo_kb, filing_store, filing_store._clock).executor()
    result = run(executor, "validate_lost_notice_form", {"uscc": "91370211MA3C4X5Y6Z"}, {"license_type": "食经证"})
    assert [e["value"] for e in result["events"]] == ["食品经营许可证"]
    assert "已有一份遗失公告登记" in texts(result) and first.filing_id in texts(result)
    other = run(executor, "validate_lost_notice_form", {"uscc": "91370211MA3C4X5Y6Z"}, {"license_type": "出版物许可证"})
    assert "已有一份" not in texts(other)
    assert [v.filing_id for v in filing_store.same_license("91370211ma3c4x5y6z", "食品经营许可证")] == [first.filing_id]
    filing_store.reissue(first.filing_id, "staff01")  # reissued: a new loss of the new license is normal
    assert filing_store.same_license("91370211MA3C4X5Y6Z", "食品经营许可证") == []


def test_a_past_expiry_is_taken_and_flagged(demo_kb: Any, filing_store: Any) -> None:
    executor = build_registry(lambda: demo_kb, filing_store, filing_store._clock).executor()
    result = run(executor, "validate_medical_validation_form", {}, {"license_valid_until": "2024-06-30"})
    assert result["events"][0]["value"] == "2024-06-30"
    assert "已经过了" in texts(result) and "2026-11-20" in texts(result)


def test_the_expiry_question_offers_a_date_ahead(demo_kb: Any, filing_store: Any) -> None:
    executor = build_registry(lambda: demo_kb, filing_store, filing_store._clock).executor()
    result = run(executor, "action_ask_license_valid_until", {}, {})
    assert "2027-02-28" in texts(result)  # the clock stands at 2026-11-20
    wrong = run(executor, "validate_medical_validation_form", {}, {"license_valid_until": "某天"})
    assert wrong["events"][0]["value"] is None and "2027-02-28" in texts(wrong)


def test_the_same_license_check_reads_only_that_license_and_at_most_a_few(filing_store: Any, make_notice: Any) -> None:
    # Found by `make load`: every open lost notice was read (and its history) for each check, so a filing got
    # slower with each one before it. Now the database filters by USCC and license type, and the form asks for 3.
    mine = [filing_store.submit_lost_notice(make_notice(), f"same-{i}").filing_id for i in range(6)]
    for i in range(5):
        filing_store.submit_lost_notice(make_notice(uscc="91370211MA3C1234XN"), f"other-{i}")
        filing_store.submit_lost_notice(make_notice(license_type="出版物经营许可证"), f"type-{i}")
    assert [v.filing_id for v in filing_store.same_license("91370211MA3C4X5Y6Z", "食品经营许可证")] == mine
    assert [v.filing_id for v in filing_store.same_license("91370211MA3C4X5Y6Z", "食品经营许可证", limit=3)] == mine[:3]
    assert [v.filing_id for v in filing_store.same_license("91370211MA3C4X5Y6Z", "食品经营许可证",
                                                             exclude=mine[0], limit=3)] == mine[1:4]
