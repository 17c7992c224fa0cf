"""Fixtures of the staff console tests.

- `staff_engine_parts` (session): a knowledge base and an ngram NLU pipeline over it, built once. A publish
  never changes them (it swaps in a new snapshot: nlu/live.py), so every app starts from the same base.
- `client` / `make_client`: a started TestClient of `create_app(Settings(data_dir=tmp, env="test",
  secret_key="test-secret"), knowledge_factory=...)`; `login(client, user)` logs a user in;
  `staff_of(client)` is its console's objects.
- `users`: creates accounts (admin, editor, reviewer) with known passwords.
- `live_staff` / `browser` / `page`: a live uvicorn app and headless Chromium for @pytest.mark.browser tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import LiveApp, serve_in_thread
from tests.needs import BROWSER_WAIT_MS

PASSWORD = "correct-horse-9"
WATCH_SCRIPT = """
window.__problems = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__problems.push('csp ' + e.violatedDirective + ' ' + (e.blockedURI || ''));
});
"""


class Parts:
    """The session's knowledge base and pipeline (never changed by a publish) and the items they hold."""

    def __init__(self, kb: Any, pipeline: Any):
        self.kb = kb
        self.pipeline = pipeline
        self.original = dict(kb.items)

    def check_untouched(self) -> None:
        """Publishes replace the app's snapshot; the objects it started from stay as they were."""
        assert self.kb.items == self.original and self.pipeline.kb is self.kb

    def knowledge_factory(self) -> Callable[[Any], Any]:
        from nlu.live import KnowledgeSnapshot

        return lambda _: KnowledgeSnapshot(self.kb, self.pipeline)


@pytest.fixture(scope="session")
def staff_engine_parts(tmp_path_factory: pytest.TempPathFactory) -> Parts:
    """A private KnowledgeBase (mutated by publishes) and an ngram pipeline over it, built once."""
    from knowledge.loader import load_knowledge
    from nlu.embeddings import EncoderSpec
    from nlu.pipeline import NluConfig, load_pipeline

    kb = load_knowledge()
    pipeline = load_pipeline(kb, NluConfig(data_dir=tmp_path_factory.mktemp("staff-ngram"), encoder=EncoderSpec("ngram"),
                                           build_workers=1))
    return Parts(kb, pipeline)


@pytest.fixture
def parts(staff_engine_parts: Parts) -> Iterator[Parts]:
    yield staff_engine_parts
    staff_engine_parts.check_untouched()


def settings_for(data_dir: Path, **extra: Any) -> Any:
    from assistant.settings import Settings

    data_dir.mkdir(parents=True, exist_ok=True)
    return Settings(data_dir=data_dir, env="test", secret_key="test-secret", **extra)


@pytest.fixture
def make_client(tmp_path: Path, parts: Parts) -> Iterator[Callable[..., Any]]:
    from fastapi.testclient import TestClient

    from assistant.app import create_app

    with ExitStack() as stack:
        def make(name: str = "state", **extra: Any) -> Any:
            app = create_app(settings_for(tmp_path / name, **extra), knowledge_factory=parts.knowledge_factory())
            return stack.enter_context(TestClient(app, base_url="http://testserver"))

        yield make


@pytest.fixture
def client(make_client: Callable[..., Any]) -> Any:
    return make_client()


def staff_of(client: Any) -> Any:
    """The console's objects of a started app."""
    return client.app.state.services.staff


@pytest.fixture
def users(client: Any) -> dict[str, Any]:
    """Accounts admin / editor / reviewer (password PASSWORD) in the client's app."""
    st = staff_of(client)
    return {role: st.users.create(role, PASSWORD, role, f"测试{role}") for role in ("admin", "editor", "reviewer")}


def login_token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no csrf_token field in the page"
    return m.group(1)


def csrf_of(client: Any) -> str:
    html = client.get("/admin").text
    m = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert m, "no csrf meta tag: not logged in?"
    return m.group(1)


def login(client: Any, username: str, password: str = PASSWORD, ip_ok: bool = True) -> Any:
    """Log in through the form; returns the response of the POST (303 on success)."""
    page = client.get("/admin/login")
    return client.post("/admin/login", data={"username": username, "password": password, "csrf_token": login_token(page.text),
                                             "next": "/admin"}, follow_redirects=False)


# ---------------------------------------------------------------------------------------------- browser
def start_app(data_dir: Path, parts: Parts) -> LiveApp:
    """create_app on a free port of 127.0.0.1 in a background thread; returns once /health says ok."""
    from assistant.app import create_app

    app = create_app(settings_for(data_dir), knowledge_factory=parts.knowledge_factory())
    return serve_in_thread(app)


@pytest.fixture
def live_staff(tmp_path: Path, parts: Parts) -> Iterator[LiveApp]:
    """A live app (uvicorn thread) with an admin, an editor and a reviewer."""
    app = start_app(tmp_path / "live", parts)
    st = app.services.staff
    for role in ("admin", "editor", "reviewer"):
        st.users.create(role, PASSWORD, role, f"测试{role}")
    yield app
    app.stop()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """new_page(width=1280, height=900, **context_options) → a page in a fresh context that records console errors
    and CSP violations (context options e.g. is_mobile=True, has_touch=True for a phone)."""
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 900, **options: Any) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      **options)
        context.set_default_timeout(BROWSER_WAIT_MS)
        context.add_init_script(WATCH_SCRIPT)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(f"pageerror {exc}"))
        page.on("console", lambda msg: errors.append(f"console {msg.text}") if msg.type == "error" else None)
        page.on("response", lambda r: errors.append(f"http {r.status} {r.url}") if r.status == 404 else None)
        page.problems = lambda: errors + page.evaluate("window.__problems || []")
        return page

    yield make
    for context in contexts:
        context.close()


def browser_login(page: Any, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base_url + "/admin/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin$"))


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with production parameters takes ~0.5 s here; tests use cheap parameters."""
    from argon2 import PasswordHasher

    from assistant.staff import users

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", cheap)
    monkeypatch.setattr(users, "_DUMMY_HASH", cheap.hash("no-such-user"))


def form_values(page_html: str, form_id: str) -> dict[str, str]:
    """The values a browser would submit for the form with this id (inputs, textareas, selects)."""
    from html.parser import HTMLParser

    class Collect(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.inside = False
            self.values: dict[str, str] = {}
            self.textarea: str | None = None
            self.select: str | None = None
            self.first_option: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = {k: v or "" for k, v in attrs}
            if tag == "form" and a.get("id") == form_id:
                self.inside = True
            if not self.inside:
                return
            if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
                self.values[a["name"]] = a.get("value", "")
            elif tag == "textarea":
                self.textarea = a.get("name")
                self.values[self.textarea or ""] = ""
            elif tag == "select":
                self.select, self.first_option = a.get("name"), None
            elif tag == "option" and self.select:
                if self.first_option is None:
                    self.first_option = a.get("value", "")
                    self.values.setdefault(self.select, self.first_option)
                if "selected" in a:
                    self.values[self.select] = a.get("value", "")

        def handle_endtag(self, tag: str) -> None:
            if tag == "form":
                self.inside = False
            elif tag == "textarea":
                self.textarea = None
            elif tag == "select":
                self.select = None

        def handle_data(self, data: str) -> None:
            if self.inside and self.textarea:
                self.values[self.textarea] += data

    parser = Collect()
    parser.feed(page_html)
    return parser.values
