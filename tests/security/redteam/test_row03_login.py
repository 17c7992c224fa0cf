"""Red team, row 3: the staff login under concurrency.

Found: 40 simultaneous wrong passwords were all checked, then the right one logged in; each argon2 hash took
64 MiB at once (1.0 → 3.3 GB); anyone could lock the admin out for 15 minutes by typing their name wrong 5 times.
Now: each attempt is counted before its password is checked, atomically (assistant/staff/lockout.py); argon2 runs
at most 2 at a time (assistant/staff/users.py HashGate); a lock-out holds for (account, client), the account as a
whole only slows down. Loopback only; at most 40 requests at once.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.actions.conftest import filing_db_url as any_database  # noqa: F401  (empty SQLite file or PostgreSQL schema)
from tests.live_server import serve_in_thread
from tests.security.flows import PASSWORD, cheap_hashing

ADMIN = "chief"


class CountingHasher:
    """The cheap test hasher, counting checks and how many run at once (each holds its slot for a moment)."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.checks = 0
        self.running = 0
        self.peak = 0
        self.lock = threading.Lock()

    def verify(self, stored: str, password: str) -> bool:
        with self.lock:
            self.checks += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            time.sleep(0.05)  # a real hash takes ~0.2 s: let the attempts overlap
            return bool(self.inner.verify(stored, password))
        finally:
            with self.lock:
                self.running -= 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    from assistant.staff import users

    cheap_hashing(monkeypatch)
    counting = CountingHasher(users._hasher)
    monkeypatch.setattr(users, "_hasher", counting)
    return counting


def login_form(client: Any) -> tuple[str, dict[str, str]]:
    page = client.get("/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    return token.group(1), dict(page.cookies)


def form_login(client: Any, username: str, password: str) -> Any:
    """One login through the form, as a browser does it (a fresh form each time)."""
    token, _ = login_form(client)
    return client.post("/admin/login", data={"username": username, "password": password, "csrf_token": token},
                       follow_redirects=False)


def attempt(url: str, token: str, cookies: dict[str, str], username: str, password: str, client_ip: str = "") -> int:
    headers = {"X-Forwarded-For": client_ip} if client_ip else {}
    r = httpx.post(f"{url}/admin/login", data={"username": username, "password": password, "csrf_token": token},
                   cookies=cookies, headers=headers, follow_redirects=False, timeout=60)
    return r.status_code


@pytest.fixture
def live(build_app: Any, hasher: CountingHasher) -> Any:
    from assistant.server import uvicorn_options

    app = build_app(forwarded_allow_ips="127.0.0.1", secret_key="row03-secret")
    server = serve_in_thread(app, **uvicorn_options(app.state.settings))
    server.services.staff.users.create(ADMIN, PASSWORD, "admin", "管理员")
    yield server
    server.stop()


def test_forty_simultaneous_guesses_are_not_all_checked(live: Any, hasher: CountingHasher) -> None:
    with httpx.Client(base_url=live.url) as c:
        token, cookies = login_form(c)
    hasher.checks = 0
    with ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(lambda n: attempt(live.url, token, cookies, ADMIN, f"wrong-{n}", "198.51.100.7"),
                              range(40)))
    assert hasher.checks <= 5, hasher.checks  # the (account, client) limit, however many arrive at once
    assert codes.count(401) <= 5 and set(codes) <= {401, 429, 503}, codes
    assert attempt(live.url, token, cookies, ADMIN, PASSWORD, "198.51.100.7") == 429  # the right one: locked here


def test_forty_simultaneous_logins_hash_two_at_a_time(live: Any, hasher: CountingHasher) -> None:
    with httpx.Client(base_url=live.url) as c:
        token, cookies = login_form(c)
    with ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(lambda n: attempt(live.url, token, cookies, f"user{n}", "wrong-password",
                                                f"198.51.{n}.9"), range(40)))
    assert hasher.peak <= 2, hasher.peak  # 2 x 64 MiB with production parameters, not 40 x
    assert set(codes) <= {401, 503}, codes  # 503: "请稍等几秒后再试" (Retry-After) when too many wait


def test_nobody_can_lock_the_admin_out_from_everywhere(make_client: Any, hasher: CountingHasher) -> None:
    own = make_client()  # the admin's computer (127.0.0.1)
    own.app.state.services.staff.users.create(ADMIN, PASSWORD, "admin", "管理员")
    attacker = TestClient(own.app, client=("203.0.113.66", 40000))
    codes = [form_login(attacker, ADMIN, f"guess-{n}").status_code for n in range(8)]
    assert codes == [401] * 5 + [429] * 3, codes
    r = form_login(attacker, ADMIN, PASSWORD)
    assert r.status_code == 429 and "锁定" in r.text  # the attacker's client is locked for this account
    r = form_login(own, ADMIN, PASSWORD)
    assert r.status_code == 303, r.text[:300]  # the admin still logs in from their own computer


def test_guesses_from_many_clients_slow_the_account_down(make_client: Any, hasher: CountingHasher) -> None:
    own = make_client()
    own.app.state.services.staff.users.create(ADMIN, PASSWORD, "admin", "管理员")
    codes = []
    for n in range(14):
        r = form_login(TestClient(own.app, client=(f"203.0.113.{n + 1}", 40000)), ADMIN, "wrong-guess")
        codes.append(r.status_code)
        if r.status_code == 429:
            assert "秒后再试" in r.text and int(r.headers["retry-after"]) <= 60
    assert codes[:10] == [401] * 10 and 429 in codes[10:], codes  # after 10: one guess per growing interval
    assert hasher.checks < 14


def test_simultaneous_admissions_are_atomic_on_every_database(any_database: str) -> None:  # noqa: F811 (the fixture)
    """The counting itself, on SQLite and PostgreSQL: 40 threads, one (account, client), exactly 5 admitted."""
    from assistant.staff.db import migrate
    from assistant.staff.lockout import LoginGuard
    from knowledge.store import make_engine

    engine = make_engine(any_database)
    try:
        migrate(engine)
        guard = LoginGuard(engine)
        barrier = threading.Barrier(20)

        def admit(_: int) -> bool:
            barrier.wait()
            return guard.admit(ADMIN, "198.51.100.77") is None

        with ThreadPoolExecutor(20) as pool:
            admitted = list(pool.map(admit, range(20)))
        assert admitted.count(True) == 5, admitted
        assert guard.admit(ADMIN, "198.51.100.78") is None  # another client still may
    finally:
        engine.dispose()
