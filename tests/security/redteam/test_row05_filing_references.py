"""Red team, row 5: filing references and status look-ups.

Found: a 3-digit daily sequence (581 junk filings, then every real applicant got 今日受理量已满); sequential ids
plus the phone's last four digits with no attempt limit (300 wrong guesses, then the right one); `/notices?format=json`
published every filing id. Now: random references (LN20250618-7K3QX9, nlu/references.py), limits per filing and per
client (actions/filings/lookups.py), and the board publishes no reference. Loopback/in-process only.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from actions.filings import FilingStore, LostNoticeData
from tests.actions.conftest import FakeClock
from tests.actions.conftest import filing_db_url as any_database  # noqa: F401  (SQLite file or PostgreSQL schema)
from tests.security.flows import REST, file_lost_notice, say


def notice(n: int = 0) -> LostNoticeData:
    return LostNoticeData(company_name=f"青岛红队{n}号餐饮有限公司", uscc="91370211MA3C1234XN", license_type="食品经营许可证",
                          license_number="JY13702110012345", lost_date=date(2025, 5, 1), circumstances="搬迁时遗失",
                          contact_name="张海", contact_phone="13812345678")


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = FilingStore(f"sqlite:///{tmp_path / 'filings.db'}", clock=FakeClock(datetime(2025, 6, 18, 2, tzinfo=UTC)))
    s.migrate()
    yield s
    s.close()


def test_no_daily_number_to_use_up_and_no_reference_predicts_another(store: FilingStore) -> None:
    from sqlalchemy.orm import Session

    from actions.filings.tables import Filing

    with Session(store.engine) as session, session.begin():  # the day's 999th filing exists (in the older form)
        now = datetime(2025, 6, 18, 2, tzinfo=UTC)
        session.add(Filing(id="LN20250618999", kind="lost_notice", status="submitted", idempotency_key="old-999",
                           applicant="某公司", contact_phone="13800000000", data={}, submitted_at=now, updated_at=now))
    ids = [store.submit_lost_notice(notice(n), f"junk-{n}").filing_id for n in range(60)]
    assert len(set(ids)) == 60  # and the 1000th of the day is accepted
    assert all(re.fullmatch(r"LN20250618-[2-9A-HJ-NP-Z]{6}", i) for i in ids)
    neighbours = sum(1 for a, b in zip(ids, ids[1:], strict=False) if a[-6:-1] == b[-6:-1])
    assert neighbours < 3  # consecutive filings share no sequence: the next one cannot be worked out
    assert store.get("LN20250618999") is not None  # older references stay readable


def test_three_hundred_guesses_do_not_find_the_last_four_digits(store: FilingStore) -> None:
    from actions.filings import LookupLimited

    view = store.submit_lost_notice(notice(), "victim")
    outcomes = []
    for guess in range(300):
        try:
            outcomes.append(store.status_for(view.filing_id, f"{guess:04d}", f"client-{guess}"))  # a new client each time
        except LookupLimited as exc:
            outcomes.append(exc.which)
    assert outcomes[:5] == [None] * 5 and set(outcomes[5:]) == {"filing"}
    with pytest.raises(LookupLimited):
        store.status_for(view.filing_id, "5678", "the-applicant")  # the right answer waits a day too


def test_simultaneous_guesses_stay_within_the_limit(any_database: str) -> None:  # noqa: F811 (the fixture)
    from actions.filings import LookupLimited

    store = FilingStore(any_database, clock=FakeClock(datetime(2025, 6, 18, 2, tzinfo=UTC)))
    store.migrate()
    view = store.submit_lost_notice(notice(), "victim")
    lock = threading.Lock()
    wrong = 0

    def guess(n: int) -> None:
        nonlocal wrong
        try:
            found = store.status_for(view.filing_id, f"{n:04d}", "one-client")
        except LookupLimited:
            return
        if found is None:
            with lock:
                wrong += 1

    try:
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(guess, range(40)))
    finally:
        store.close()
    assert wrong == 5  # on SQLite and PostgreSQL alike


def test_one_client_cannot_try_many_filings(store: FilingStore) -> None:
    from actions.filings import LookupLimited

    refs = [store.submit_lost_notice(notice(n), f"f-{n}").filing_id for n in range(25)]
    limited = 0
    for ref in refs:
        try:
            store.status_for(ref, "0000", "one-client")
        except LookupLimited as exc:
            assert exc.which == "client"
            limited += 1
    assert limited == 5  # 20 wrong answers an hour per client


def test_right_answers_do_not_count_against_the_client(store: FilingStore) -> None:
    # One hall kiosk (one client) looks up many people's filings: only wrong answers count (docs/security.md).
    # Found by `make load`: the 21st right look-up of an hour from one address was refused.
    from actions.filings import LookupLimited

    refs = [store.submit_lost_notice(notice(n), f"k-{n}").filing_id for n in range(30)]
    for ref in refs:
        view = store.status_for(ref, "5678", "hall-kiosk")
        assert view is not None and view.filing_id == ref
    for ref in refs[:20]:  # wrong answers are still limited at 20 an hour
        assert store.status_for(ref, "0000", "hall-kiosk") is None
    with pytest.raises(LookupLimited):
        store.status_for(refs[20], "0000", "hall-kiosk")


def test_the_chat_stops_answering_after_five_wrong_digits(make_client: Any) -> None:
    client = make_client(rate_limit=False)
    receipt = file_lost_notice(client, "applicant-1")
    ref = receipt["filing_id"]
    assert re.fullmatch(r"LN\d{8}-[2-9A-HJ-NP-Z]{6}", ref)
    for n in range(5):
        sender = f"guesser-{n}"  # a new conversation for every guess
        say(client, sender, "查进度")
        texts = " ".join(m.get("text", "") for m in say(client, sender, f"{ref}，手机尾号{1000 + n}"))
        assert "没有找到匹配的办件" in texts, texts
    say(client, "applicant-2", "查进度")  # the right digits from another conversation: locked too
    texts = " ".join(m.get("text", "") for m in say(client, "applicant-2", f"{ref}，手机尾号5678"))
    assert "查询失败次数过多" in texts and "已提交" not in texts, texts
    # The conversation that filed it guesses nothing (issue 14: no re-asking there), so the guessers cannot
    # lock its applicant out.
    texts = " ".join(m.get("text", "") for m in say(client, "applicant-1", "查进度"))
    assert ref in texts and "已提交" in texts and "查询失败次数过多" not in texts, texts


def test_the_board_publishes_no_filing_reference(make_client: Any) -> None:
    client = make_client(rate_limit=False)
    ref = file_lost_notice(client, "published-1")["filing_id"]
    filings = client.app.state.services.filings
    filings.approve(ref, "staff01")
    filings.publish(ref, "staff01")
    r = client.get("/notices", params={"format": "json"})
    assert r.status_code == 200, r.text
    assert r.json()["items"] and all("filing_id" not in item for item in r.json()["items"])
    assert ref not in r.text
    assert client.post(REST, json={"sender": "x", "message": "你好"}).status_code == 200
