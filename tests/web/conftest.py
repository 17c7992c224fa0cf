"""Fixtures of the web-face tests: a live app (uvicorn on 127.0.0.1, a free port, a background thread) and a
real headless Chromium driven by Playwright.

- `live`: the app of the session (demo knowledge base, ngram NLU built once, real dialogue manager).
- `serve(kb=None, **settings)`: another app instance for a test (e.g. a short kiosk idle time, or a
  knowledge base with hostile content); stopped at the end of the test.
- `browser` (tests/conftest.py): Chromium from /usr/bin/chromium (skipped, with the reason, when it is absent).
- `new_page(base_url, width=1280, height=800)`: a page in a fresh context (empty storage) that records
  console errors and CSP violations in `page.problems()`.

Browser tests are marked `browser`; never run `playwright install` — the system Chromium is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import LiveApp, serve_in_thread
from tests.needs import BROWSER_WAIT_MS

# Recorded in every page before its own scripts run (init scripts are not subject to the page's CSP).
WATCH_SCRIPT = """
window.__problems = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__problems.push('csp ' + e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || ''));
});
"""


def start_app(data_dir: Path, kb: Any, pipeline: Any, **settings: Any) -> LiveApp:
    """Create and start an app on a free port; wait until /health says ok."""
    from assistant.app import create_app
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot

    data_dir.mkdir(parents=True, exist_ok=True)
    s = Settings(data_dir=data_dir, env="test", **settings)
    app = create_app(s, knowledge_factory=lambda _: KnowledgeSnapshot(kb, pipeline))
    return serve_in_thread(app)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, demo_kb: Any, ngram_pipeline: Any) -> Iterator[LiveApp]:
    """The app of the session: demo knowledge base, ngram NLU, default settings."""
    app = start_app(tmp_path_factory.mktemp("web-live"), demo_kb, ngram_pipeline)
    yield app
    app.stop()


@pytest.fixture
def serve(tmp_path: Path, demo_kb: Any, ngram_pipeline: Any) -> Iterator[Callable[..., LiveApp]]:
    """Start another app for this test: serve(kb=None, pipeline=None, **settings)."""
    started: list[LiveApp] = []

    def make(kb: Any = None, pipeline: Any = None, **settings: Any) -> LiveApp:
        app = start_app(tmp_path / f"app{len(started)}", kb or demo_kb, pipeline or ngram_pipeline, **settings)
        started.append(app)
        return app

    yield make
    for app in started:
        app.stop()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """new_page(url=None, width=1280, height=800, **context_options) → a page in a fresh context."""
    contexts: list[Any] = []

    def make(url: str | None = None, width: int = 1280, height: int = 800, **options: Any) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", **options)
        context.set_default_timeout(BROWSER_WAIT_MS)
        context.add_init_script(WATCH_SCRIPT)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(f"pageerror {exc}"))
        page.on("console", lambda msg: errors.append(f"console {msg.text}") if msg.type == "error" else None)

        def problems() -> list[str]:
            seen = list(errors)
            for frame in page.frames:
                try:
                    seen += frame.evaluate("window.__problems || []")
                except Exception:  # noqa: BLE001 - a detached or cross-origin frame
                    pass
            return seen

        page.problems = problems
        if url:
            page.goto(url)
        return page

    yield make
    for context in contexts:
        context.close()
