"""Fixtures of the dialogue tests: a database URL (SQLite; PostgreSQL too when LINGLING_TEST_PG_URL is
set, each test in a fresh schema), a settable clock, a FilingStore and `make_dm` building a
DialogueManager on the session's ngram pipeline (tests/conftest.py) with the first response variant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from knowledge.clock import ManualClock
from tests.needs import pg_schema

START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # Friday 09:00 in Qingdao


class Clock(ManualClock):
    """The project's test clock, starting at START: `clock()` is now; `clock.advance(minutes=5)` moves it."""

    def __init__(self, now: datetime = START):
        super().__init__(now)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lingling.db'}"
        return
    with pg_schema("d") as url:
        yield url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def filings(db_url: str, clock: Clock) -> Iterator[Any]:
    """A migrated FilingStore on the test database, on the test clock."""
    from actions.filings import FilingStore

    store = FilingStore(db_url, "https://zwfw.example.gov.cn", clock=clock)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def make_settings(db_url: str, tmp_path: Path) -> Callable[..., Any]:
    """`make_settings(**overrides)` → Settings on the test database."""
    from assistant.settings import Settings

    def make(**overrides: Any) -> Any:
        return Settings(data_dir=tmp_path / "state", env="test", database_url=db_url, **overrides)

    return make


@pytest.fixture
def make_dm(make_settings: Callable[..., Any], ngram_pipeline: Any, demo_kb: Any, filings: Any,
            clock: Clock) -> Iterator[Callable[..., Any]]:
    """`make_dm(actions=None, pipeline=None, **settings)` → a DialogueManager (first response variants, the test
    clock) on the ngram pipeline, or on `pipeline` (the real encoder's, for the golden files that need it)."""
    from assistant.dialogue.factory import build_manager
    from assistant.dialogue.responses import first
    from assistant.ops.migrate import upgrade_all
    from nlu.live import KnowledgeSnapshot, LiveKnowledge

    made: list[Any] = []

    def make(actions: Any = None, pipeline: Any = None, **overrides: Any) -> Any:
        settings = make_settings(**overrides)
        upgrade_all(settings.db_url)  # as the app's start-up does
        knowledge = LiveKnowledge(KnowledgeSnapshot(demo_kb, pipeline or ngram_pipeline), clock=clock)
        dm = build_manager(settings, knowledge, filings, clock=clock, choose=first, actions=actions)
        made.append(dm)
        return dm

    yield make
    for dm in made:
        dm.close()


@pytest.fixture
def dm(make_dm: Callable[..., Any]) -> Any:
    return make_dm()
