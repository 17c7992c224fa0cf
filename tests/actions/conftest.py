"""Fixtures of the filing-store tests (names start with `filing_` / `make_`).

`filing_db_url` is parametrized: SQLite in tmp_path always, PostgreSQL when LINGLING_TEST_PG_URL is set
(e.g. postgresql+psycopg://lingling:lingling@127.0.0.1:5432/lingling_test); every PostgreSQL test gets
a fresh schema (search_path), dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from actions.filings import FilingStore, LostNoticeData, ValidationData
from knowledge.clock import ManualClock
from tests.needs import pg_schema

# Friday 2026-11-20, 09:00 in Qingdao (UTC+8).
START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
PUBLIC_BASE = "https://zwfw.example.gov.cn"


class FakeClock(ManualClock):
    """The project's test clock, starting at START: `clock()` is now; `clock.advance(days=1)` moves it."""

    def __init__(self, now: datetime = START):
        super().__init__(now)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def filing_db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database: SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'filings.db'}"
        return
    with pg_schema("t") as url:
        yield url


@pytest.fixture
def filing_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def filing_store(filing_db_url: str, filing_clock: FakeClock) -> Iterator[FilingStore]:
    """A migrated store on an empty database, with a fake clock and a public base URL."""
    store = FilingStore(filing_db_url, PUBLIC_BASE, clock=filing_clock)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def make_notice() -> Callable[..., LostNoticeData]:
    def make(**overrides: Any) -> LostNoticeData:
        fields: dict[str, Any] = {
            "company_name": "青岛西海岸新区海味餐饮有限公司",
            "uscc": "91370211MA3C4X5Y6Z",
            "license_type": "食品经营许可证",
            "license_number": "JY13702110012345",
            "lost_date": date(2026, 11, 2),
            "circumstances": "搬迁办公场所时遗失正本",
            "contact_name": "张海",
            "contact_phone": "13812345678",
        }
        return LostNoticeData(**{**fields, **overrides})

    return make


@pytest.fixture
def make_validation() -> Callable[..., ValidationData]:
    def make(**overrides: Any) -> ValidationData:
        fields: dict[str, Any] = {
            "institution_name": "黄岛区康宁诊所",
            "registration_number": "PDY12345637021117D2152",
            "items": ["医疗机构执业许可证校验", "放射诊疗许可证校验"],
            "license_valid_until": date(2027, 1, 31),
            "contact_name": "李康",
            "contact_phone": "0532-8688 7766",
        }
        return ValidationData(**{**fields, **overrides})

    return make
