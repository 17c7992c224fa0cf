"""One clock for the whole project: days are Beijing days, whatever the host's time zone or date.

At 01:31 on 2025-06-18 in Beijing it is still 2025-06-17 in UTC (and on a host set to UTC). A filing that says
"昨天" then means 2025-06-17, and its id carries 20250618 — the same day the dialogue counts from.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowledge import clock
from knowledge.clock import BEIJING, ManualClock, beijing_date
from tests.security.flows import lost_notice_steps, say

AT = dt.datetime(2025, 6, 17, 17, 31, tzinfo=dt.UTC)  # 2025-06-18 01:31 in Beijing


def test_beijing_days() -> None:
    fixed = ManualClock(AT)
    assert clock.today(fixed) == dt.date(2025, 6, 18)
    assert clock.now(fixed).tzinfo is dt.UTC and clock.now(fixed).date() == dt.date(2025, 6, 17)
    assert beijing_date(dt.datetime(2025, 6, 17, 15, 59, tzinfo=dt.UTC)) == dt.date(2025, 6, 17)
    assert beijing_date(dt.datetime(2025, 6, 17, 16, 0)) == dt.date(2025, 6, 18)  # naive = UTC (SQLite)
    assert BEIJING.utcoffset(None) == dt.timedelta(hours=8)
    assert fixed() < fixed(), "the test clock moves forward like a real one"


@pytest.fixture
def client(tmp_path: Path, demo_kb: Any, ngram_pipeline: Any) -> Iterator[TestClient]:
    """The whole app on a clock standing at 2025-06-18 01:31 Beijing time."""
    from assistant.app import create_app
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot

    app = create_app(Settings(data_dir=tmp_path / "state", env="test"),
                     knowledge_factory=lambda _: KnowledgeSnapshot(demo_kb, ngram_pipeline), clock=ManualClock(AT))
    with TestClient(app) as c:
        yield c


def test_yesterday_in_a_filing_is_the_beijing_yesterday_and_the_id_the_beijing_today(client: TestClient) -> None:
    sender = "clock-test-sender-0001"
    steps = lost_notice_steps()
    steps[steps.index("2025-05-01")] = "昨天"
    for text in steps:
        body = say(client, sender, text)
    readback = body[-1]["custom"]
    assert readback["type"] == "readback", body
    assert {f["slot"]: f["value"] for f in readback["fields"]}["lost_date"] == "2025-06-17"
    receipt = say(client, sender, "/affirm")[-1]["custom"]
    assert re.fullmatch(r"LN20250618-[2-9A-HJ-NP-Z]{6}", receipt["filing_id"]), receipt
    services = client.app.state.services  # type: ignore[attr-defined]
    filing = services.filings.get(receipt["filing_id"])
    assert filing.data["lost_date"] == "2025-06-17"
    assert filing.submitted_at.date() == dt.date(2025, 6, 18)  # shown in Beijing time


def test_every_door_counts_days_on_the_app_clock(client: TestClient) -> None:
    """Rasa's NLU door (/model/parse) and the action server (/webhook) too, not only the built-in dialogue."""
    r = client.post("/model/parse", json={"text": "证是昨天丢的"})
    assert r.status_code == 200, r.text
    assert [e["value"] for e in r.json()["entities"] if e["entity"] == "date"] == ["2025-06-17"]
    services = client.app.state.services  # type: ignore[attr-defined]
    validate = services.actions.actions["validate_lost_notice_form"].__self__
    assert validate.deps.today() == dt.date(2025, 6, 18)
    assert services.staff.today() == dt.date(2025, 6, 18)
