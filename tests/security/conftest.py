"""Fixtures of the security tests.

- `build_app(**settings)`: an app over the session's ngram pipeline and the demo base, with its own SQLite folder.
- `api` (session): a started TestClient of such an app with rate limits off, shared by the hypothesis tests.
- `make_client` (tests/conftest.py) for apps with particular settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def build_app(tmp_path_factory: pytest.TempPathFactory, ngram_pipeline: Any, demo_kb: Any) -> Callable[..., Any]:
    from assistant.app import create_app
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot

    def build(**overrides: Any) -> Any:
        settings = Settings(data_dir=tmp_path_factory.mktemp("security-state"), env="test", **overrides)
        return create_app(settings, knowledge_factory=lambda _: KnowledgeSnapshot(demo_kb, ngram_pipeline))

    return build


@pytest.fixture(scope="session")
def api(build_app: Callable[..., Any]) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(build_app(rate_limit=False), client=("127.0.0.1", 50000)) as client:
        yield client
