"""Fixtures of the red-team tests (issue 15: one file per finding, each failing before its fix).

- `serve(**settings)`: the app (ngram pipeline, demo base, its own data folder; `knowledge=` another snapshot,
  `data_dir_of=` an earlier server's data folder, `uvicorn_config=` more uvicorn options) served by uvicorn in a
  thread on 127.0.0.1 and a free port; stopped at teardown.
- `database`: parametrised over SQLite and PostgreSQL: the settings overrides of each (a skip without
  LINGLING_TEST_PG_URL).
- `pg_url`: a fresh PostgreSQL schema on LINGLING_TEST_PG_URL (skipped without it), dropped afterwards.

Every wait is bounded and every server binds loopback only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import LiveApp, serve_in_thread

PG_ENV = "LINGLING_TEST_PG_URL"


@pytest.fixture
def serve(tmp_path: Path, ngram_pipeline: Any, demo_kb: Any) -> Iterator[Callable[..., LiveApp]]:
    from assistant.app import create_app
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot

    running: list[LiveApp] = []
    folders: dict[int, Path] = {}

    def start(knowledge: Any = None, data_dir_of: LiveApp | None = None, uvicorn_config: dict[str, Any] | None = None,
              **overrides: Any) -> LiveApp:
        snapshot = knowledge or KnowledgeSnapshot(demo_kb, ngram_pipeline)
        if data_dir_of is not None:  # a restart on the data folder of an earlier server
            data = folders[id(data_dir_of)]
        else:
            data = tmp_path / f"state-{len(running)}"
            data.mkdir()
        settings = Settings(data_dir=data, env="test", **overrides)
        # (a bounded graceful shutdown: socket.io long-polls may hold it up to their ping interval)
        live = serve_in_thread(create_app(settings, knowledge_factory=lambda _: snapshot), timeout_graceful_shutdown=3,
                               **(uvicorn_config or {}))
        running.append(live)
        folders[id(live)] = data
        return live

    yield start
    for live in running:
        live.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings overrides for the backend: {} for SQLite, {"database_url": a fresh schema} for PostgreSQL."""
    if request.param == "sqlite":
        return {}
    return {"database_url": request.getfixturevalue("pg_url")}


@pytest.fixture
def pg_url() -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}=postgresql+psycopg://user:password@host:5432/db")
    schema = f"rt_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
