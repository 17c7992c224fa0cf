"""Fixtures of the reminder tests: a migrated filing store on SQLite with a manual clock, an imported roster."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from actions.filings import FilingStore
from actions.filings.institutions import InstitutionRegistry
from knowledge.clock import ManualClock
from tests.reminders.roster import roster_csv

START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # Friday 09:00 in Qingdao: inside the default send hours

ROWS = [  # name, 登记号, valid until, phone, e-mail
    ("康宁诊所", "PDY00000137021117D2152", "2026-12-31", "13800001234", "kangning@example.com"),
    ("仁和口腔门诊部", "PDY00000237021117D2152", "2027-02-20", "0532-86887766", ""),
    ("海青卫生室", "PDY00000337021117D2152", "2027-06-30", "13900005678", "haiqing@example.com"),
]


def roster(rows: list[tuple[str, str, str, str, str]] = ROWS) -> bytes:
    return roster_csv([{"机构名称": n, "登记号": r, "有效期至": d, "联系人": "王丽", "联系电话": p, "电子邮箱": e,
                        "地址": "黄岛区长江中路1号", "类别": "诊所"} for n, r, d, p, e in rows])


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[FilingStore]:
    s = FilingStore(f"sqlite:///{tmp_path / 'reminders.db'}", clock=clock)
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def registry(store: FilingStore) -> InstitutionRegistry:
    """The registry with ROWS imported."""
    reg = InstitutionRegistry(store)
    reg.commit_import(reg.preview_import("roster.csv", roster(), "staff").id, "staff")
    return reg
