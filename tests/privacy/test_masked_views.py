"""Personal data is masked in the turn log (at the source), the staff inbox and the analytics page, and nowhere
else: the conversation state and the filing keep what the applicant typed."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import insert

from tests.security.flows import PHONE, USCC, cheap_hashing, file_lost_notice, login, say, staff_user

MASKED_PHONE = "138****5678"
MASKED_USCC = "9137**********34XN"


def test_turn_log_is_masked_but_the_filing_is_not(make_client: Any) -> None:
    client = make_client(rate_limit=False)
    sender = "mask-sender-000001"
    receipt = file_lost_notice(client, sender)
    dm = client.app.state.services.dialogue
    exported = dm.export(sender)
    logged = str([(t["user_text"], t["normalized"], t["messages"]) for t in exported["turns"]])
    assert PHONE not in logged and USCC not in logged
    assert MASKED_PHONE in logged and MASKED_USCC in logged  # the user's answers and the read-back
    filing = client.app.state.services.filings.get(receipt["filing_id"])
    assert filing.contact_phone == PHONE and filing.data["uscc"] == USCC  # stored filings are never altered
    history = client.get("/api/history", params={"sender": sender}).json()
    assert len(history["entries"]) == 22 and PHONE not in str(history) and MASKED_PHONE in str(history)
    assert PHONE in str(dm.store.load(sender).model_dump())  # the live state keeps it until the retention purge


def test_inbox_and_analytics_show_no_personal_data(make_client: Any, monkeypatch: Any) -> None:
    cheap_hashing(monkeypatch)
    client = make_client(rate_limit=False)
    say(client, "mask-2", f"我的手机号是{PHONE}，身份证370211199001011234，能帮我查一下吗")
    say(client, "mask-2", "/human_handoff")
    # A turn recorded before masking existed (unmasked in the table): the inbox masks it on display.
    from assistant.dialogue.db import turns

    db = client.app.state.services.dialogue.turns.engine
    with db.begin() as conn:
        conn.execute(insert(turns).values(
            turn_id=uuid.uuid4().hex, sender_id="old", channel="rest", user_text=f"旧记录 {PHONE} 投诉", normalized=f"旧记录 {PHONE} 投诉",
            intent="out_of_scope", confidence=0.1, faq_id=None, faq_score=None, fallback=True, handoff=False, messages="[]",
            feedback=None, created_at=dt.datetime.now(dt.UTC)))
    staff_user(client, "editor")
    login(client, "editor")
    page = client.get("/admin/inbox")
    assert page.status_code == 200
    assert "旧记录" in page.text and MASKED_PHONE in page.text
    assert PHONE not in page.text and "370211199001011234" not in page.text
    analytics = client.get("/admin/analytics")
    assert analytics.status_code == 200 and PHONE not in analytics.text
