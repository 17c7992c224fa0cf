"""Two worker processes (`lingling serve --workers 2`) on one database, on loopback: PostgreSQL (with
LINGLING_TEST_PG_URL) and SQLite.

- messages of one sender are handled one at a time across the workers (PostgreSQL advisory lock; lock files
  with SQLite): no message of a burst is lost from the conversation state, and a burst of 确认提交 makes
  exactly one filing;
- a knowledge publish through the staff console of one worker is in the answers of both within 2 s
  (PostgreSQL LISTEN/NOTIFY; SQLite: the generation check every second).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import re
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.ops.conftest import LOST_NOTICE, Server, receipt_id, say

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
ITEM = "license-loss-notice"
NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)  # every request a new connection: either worker


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, data_dir: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{data_dir / 'lingling.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def two_workers(db_url: str, data_dir: Path, servers: list[Server]) -> Server:
    server = Server(data_dir, db_url, workers=2)
    servers.append(server)
    server.start()
    server.wait_ready(workers=2)  # both workers answer
    ready = httpx.get(server.url + "/health/ready", timeout=10).json()
    if db_url.startswith("postgresql"):
        assert ready["sender_lock"] == "postgres" and ready["knowledge_listener"] is True, ready
    else:
        assert ready["sender_lock"] == "file", ready
    return server


def user_texts(db_url: str, sender: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            raw = conn.execute(text("SELECT state FROM conversations WHERE sender_id = :s"), {"s": sender}).scalar()
    finally:
        engine.dispose()
    state = json.loads(raw)
    return [e["text"] for e in state["events"] if e.get("event") == "user"]


def test_one_sender_is_serialised_across_workers(two_workers: Server, db_url: str) -> None:
    url = two_workers.url
    texts = ["医疗机构校验要多久", "遗失公告怎么登报", "办事大厅几点上班", "食品经营许可证怎么办",
             "可以视频办理吗", "企业开办要几天", "劳务派遣许可需要什么材料", "跨省通办怎么办", "助企帮办是什么"]
    pids: set[str] = set()

    def send(msg: str) -> int:
        with httpx.Client(limits=NO_KEEPALIVE) as c:
            r = say(c, url, "burst-sender", msg)
            pids.add(r.headers.get("x-lingling-worker", ""))
            return r.status_code

    with cf.ThreadPoolExecutor(len(texts)) as pool:
        codes = list(pool.map(send, texts))
    assert codes == [200] * len(texts)
    seen = user_texts(db_url, "burst-sender")
    assert sorted(seen) == sorted(texts), "a message was lost: two workers changed the same state at once"
    assert len(pids) == 2, f"the burst should have reached both workers, got {pids}"

    # A form, then a burst of confirmations (double clicks on two workers): exactly one filing.
    with httpx.Client() as c:
        r = say(c, url, "form-sender", LOST_NOTICE.format(name="并发"))
        assert r.status_code == 200 and any((m.get("custom") or {}).get("type") == "readback" for m in r.json())

    def confirm(_: int) -> str | None:
        with httpx.Client(limits=NO_KEEPALIVE) as c:
            r = say(c, url, "form-sender", "确认提交")
            assert r.status_code == 200, r.text
            return receipt_id(r.json())

    with cf.ThreadPoolExecutor(6) as pool:
        ids = list(pool.map(confirm, range(6)))
    assert ids[0] is not None and set(ids) == {ids[0]}, ids
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM filings")).scalar() == 1
    finally:
        engine.dispose()


def _login(client: httpx.Client, url: str) -> None:
    page = client.get(url + "/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    r = client.post(url + "/admin/login", data={"username": "editor", "password": "correct-horse-9",
                                                 "csrf_token": token.group(1), "next": "/admin"})
    assert r.status_code == 303, r.text[:500]
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get(url + "/admin").text)
    assert meta, "not logged in"
    client.headers["X-CSRF-Token"] = meta.group(1)


def test_publish_reaches_both_workers_within_2s(two_workers: Server, db_url: str) -> None:
    from assistant.staff.db import migrate
    from assistant.staff.users import UserStore
    from knowledge.store import SqlKnowledgeStore, make_engine

    url = two_workers.url
    db = make_engine(db_url)
    migrate(db)
    UserStore(db).create("editor", "correct-horse-9", "editor", "测试编辑")
    store = SqlKnowledgeStore(engine=db)
    raw = yaml.safe_load(store.latest(ITEM).text)  # type: ignore[union-attr]
    faq = raw["faqs"][0]
    question, old_answer = faq["question"], faq["answer"]
    new_answer = "【发布测试】遗失公告现在可以全程网上办理，请登录西海岸新区政务网提交。"
    faq["answer"] = new_answer
    new_text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    db.dispose()

    def ask() -> tuple[str, str]:
        with httpx.Client(limits=NO_KEEPALIVE) as c:
            r = say(c, url, f"asker-{time.monotonic_ns()}", question)
            assert r.status_code == 200, r.text
            return r.headers["x-lingling-worker"], r.json()[0]["text"]

    before = {ask() for _ in range(20)}
    assert {a for _, a in before} == {old_answer}

    with httpx.Client(follow_redirects=False) as editor:
        _login(editor, url)
        r = editor.post(f"{url}/admin/knowledge/{ITEM}/yaml", data={"text": new_text})
        assert r.status_code == 303, r.text[:2000]
        r = editor.post(f"{url}/admin/knowledge/{ITEM}/publish")
        assert r.status_code == 303 and "published" in r.headers["location"], r.text[:2000]
        published_at = time.monotonic()
        publisher = r.headers["x-lingling-worker"]

    # Ask from 4 threads at once until both workers have answered with the new text (at most 2 s).
    new_seen: dict[str, float] = {}
    stop = threading.Event()
    errors: list[str] = []

    def poll() -> None:
        while not stop.is_set() and time.monotonic() - published_at < 2.0:
            try:
                pid, answer = ask()
            except Exception as exc:  # reported below
                errors.append(repr(exc))
                return
            if answer == new_answer:
                new_seen.setdefault(pid, time.monotonic() - published_at)
            if len(new_seen) == 2:
                stop.set()

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert len(new_seen) == 2, f"published on worker {publisher}; new answer seen within 2 s from {new_seen}"
    assert max(new_seen.values()) <= 2.0
    # And it stays: no worker answers with the old text any more.
    after = {ask() for _ in range(20)}
    assert {a for _, a in after} == {new_answer}
