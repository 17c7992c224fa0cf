"""Fixtures of the handoff desk's tests: an upgraded database (SQLite; PostgreSQL too when LINGLING_TEST_PG_URL
is set, in a fresh schema), a ManualClock on Friday 10:00 in Qingdao, an audit log that remembers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from knowledge.clock import ManualClock
from tests.needs import pg_schema

FRIDAY_10 = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 in Qingdao, inside the hall's hours
HALL = "周一至周五 9:00-12:00、13:30-17:00（法定节假日除外）"


class Audit:
    """An AuditSink keeping what it is told."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, actor: str, action: str, target: str = "", before: Any = None, after: Any = None,
               ip: str = "") -> None:
        self.entries.append({"actor": actor, "action": action, "target": target, "before": before, "after": after,
                             "ip": ip})

    def actions(self) -> list[str]:
        return [e["action"] for e in self.entries]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'handoff.db'}"
        return
    with pg_schema("h") as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Any]:
    from assistant.dialogue.db import make_engine
    from assistant.ops.migrate import upgrade_all

    upgrade_all(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(FRIDAY_10)


@pytest.fixture
def audit() -> Audit:
    return Audit()


@pytest.fixture
def desk(engine: Any, clock: ManualClock, audit: Audit) -> Any:
    from assistant.handoff.desk import HandoffDesk

    return HandoffDesk(engine, clock, audit=audit, hall_hours=lambda: HALL)
