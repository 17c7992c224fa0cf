"""Fixtures of the socket.io channel tests: live apps (uvicorn on 127.0.0.1 in a thread, as tests/web does),
a separate tiny "portal" server that embeds the real rasa-webchat widget, and headless Chromium.

- `sio_live`: the app of the session (demo knowledge base, the session's ngram NLU, real dialogue manager).
- `sio_serve(**env)`: another app for a test, started with LINGLING_SOCKETIO_* variables set (e.g. other event
  names, no session persistence); stopped at the end of the test.
- `portal`: http://127.0.0.1:<port>/ serving page/index.html, page/page.js and rasa-webchat's UMD bundle
  (node_modules, installed by `npm ci --prefix tests/socketio`), another origin than the app's.
- `webchat`: `webchat.run(url, body)` runs body(page) in headless Chromium (/usr/bin/chromium) on a thread of
  its own; browser tests skip when Chromium or node_modules is missing (tests/needs.py).
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.live_server import LiveApp, free_port, serve_in_thread
from tests.needs import BROWSER_WAIT_MS, CHROMIUM_ARGS, chromium, webchat_bundle

HERE = Path(__file__).resolve().parent
PAGE_DIR = HERE / "page"
WEBCHAT_JS = HERE / "node_modules" / "rasa-webchat" / "lib" / "index.js"
START_TIMEOUT = 60.0
T = TypeVar("T")


def start_app(data_dir: Path, kb: Any, pipeline: Any, **settings: Any) -> LiveApp:
    """Create an app (injected knowledge snapshot) and serve it on a free loopback port; wait until /health says ok."""
    from assistant.app import create_app
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot

    data_dir.mkdir(parents=True, exist_ok=True)
    s = Settings(**{"data_dir": data_dir, "env": "test", **settings})
    app = create_app(s, knowledge_factory=lambda _: KnowledgeSnapshot(kb, pipeline))
    # A bounded graceful shutdown: Engine.IO holds a long-poll request open up to its ping interval (25 s).
    return serve_in_thread(app, START_TIMEOUT, timeout_graceful_shutdown=3)


@pytest.fixture(scope="session")
def sio_live(tmp_path_factory: pytest.TempPathFactory, demo_kb: Any, ngram_pipeline: Any) -> Iterator[LiveApp]:
    """The app of the session, default settings."""
    app = start_app(tmp_path_factory.mktemp("sio-live"), demo_kb, ngram_pipeline)
    yield app
    app.stop()


@pytest.fixture
def sio_serve(tmp_path: Path, demo_kb: Any, ngram_pipeline: Any,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., LiveApp]]:
    """sio_serve(settings=None, **env): an app whose channel reads LINGLING_SOCKETIO_<NAME>=value for each env item."""
    started: list[LiveApp] = []

    def make(settings: dict[str, Any] | None = None, **env: str) -> LiveApp:
        with monkeypatch.context() as m:
            for name, value in env.items():
                m.setenv(f"LINGLING_SOCKETIO_{name.upper()}", value)
            app = start_app(tmp_path / f"app{len(started)}", demo_kb, ngram_pipeline, **(settings or {}))
        started.append(app)
        return app

    yield make
    for app in started:
        app.stop()


# ---------------------------------------------------------------------------------------------- the portal


class _PortalHandler(http.server.BaseHTTPRequestHandler):
    """Serves exactly three files; nothing else of the disk."""

    FILES = {
        "/": (PAGE_DIR / "index.html", "text/html; charset=utf-8"),
        "/page.js": (PAGE_DIR / "page.js", "text/javascript; charset=utf-8"),
        "/rasa-webchat.js": (WEBCHAT_JS, "text/javascript; charset=utf-8"),
    }

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path = self.path.split("?", 1)[0]
        found = self.FILES.get(path)
        if found is None or not found[0].is_file():
            self.send_error(404)
            return
        body = found[0].read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", found[1])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass


@pytest.fixture(scope="session")
def portal() -> Iterator[str]:
    """The base URL of a portal page that embeds rasa-webchat (served from another port than the app)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _PortalHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="portal", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


# ---------------------------------------------------------------------------------------------- the browser


class Webchat:
    """Runs a test body against a page in headless Chromium, on a thread of its own.

    Playwright's sync API allows one running instance per thread, and tests/web keeps its session browser
    running in the main thread; a dedicated thread (with its own Playwright and browser) never collides.
    """

    def __init__(self, sync_api: Any, executable: Path):
        self.sync_api = sync_api
        self.executable = executable

    def run(self, url: str, body: Callable[[Any], T], width: int = 1280, height: int = 860,
            timeout: float = 180.0) -> T:
        """body(page) after page.goto(url); `page.errors` lists the page's uncaught errors."""
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webchat-browser")
        try:
            return pool.submit(self._session, url, body, width, height).result(timeout)
        finally:
            pool.shutdown(wait=False)

    def _session(self, url: str, body: Callable[[Any], T], width: int, height: int) -> T:
        with self.sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(self.executable), args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                              timezone_id="Asia/Shanghai")
                context.set_default_timeout(BROWSER_WAIT_MS)
                page = context.new_page()
                page.errors = []
                page.on("pageerror", lambda exc: page.errors.append(str(exc)))
                page.goto(url)
                return body(page)
            finally:
                browser.close()


@pytest.fixture
def webchat() -> Webchat:
    """Chromium for the rasa-webchat tests; skip when it or the widget's node_modules is missing."""
    executable = chromium()
    webchat_bundle()
    from playwright import sync_api

    sync_api.expect.set_options(timeout=BROWSER_WAIT_MS)
    return Webchat(sync_api, executable)
