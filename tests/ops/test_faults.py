"""Faults: a worker killed with SIGKILL mid-submission, the database going away and coming back, a corrupted
index file, a knowledge file with errors."""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.ops.conftest import LOST_NOTICE, Server, free_port, receipt_id, say

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
ITEM = "license-loss-notice"


def filings_by_sender(db_url: str) -> dict[str, list[str]]:
    """sender -> filing ids (the idempotency key is '<sender>:<form session>')."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, idempotency_key FROM filings")).all()
    finally:
        engine.dispose()
    out: dict[str, list[str]] = {}
    for filing_id, key in rows:
        out.setdefault(key.split(":", 1)[0], []).append(filing_id)
    return out


# ---- kill -9 during concurrent submissions ---------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_kill9_during_submissions_loses_no_confirmed_filing(backend: str, request: pytest.FixtureRequest, data_dir: Path,
                                                            servers: list[Server]) -> None:
    if backend == "sqlite":
        db_url, workers = f"sqlite:///{data_dir / 'lingling.db'}", 1
    else:
        db_url, workers = request.getfixturevalue("pg_url"), 2
    server = Server(data_dir, db_url, workers=workers)
    servers.append(server)
    server.start()
    if workers > 1:
        server.wait_ready(workers=2)
    senders = [f"kill-{i:02d}" for i in range(24)]
    confirmed: dict[str, str] = {}  # what users saw: sender -> filing id
    readback: set[str] = set()
    killed = threading.Event()
    lock = threading.Lock()

    def applicant(sender: str) -> None:
        try:
            with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0)) as c:
                r = say(c, server.url, sender, LOST_NOTICE.format(name=sender), timeout=30)
                if r.status_code != 200:
                    return
                with lock:
                    readback.add(sender)
                r = say(c, server.url, sender, "确认提交", timeout=30)
                filing = receipt_id(r.json()) if r.status_code == 200 else None
                if filing:
                    with lock:
                        confirmed[sender] = filing
        except httpx.HTTPError:
            pass  # the server died under this request: the user saw no confirmation

    def killer() -> None:
        deadline = time.monotonic() + 120
        while len(confirmed) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        if workers == 1:
            server.kill9()
        else:
            os.kill(server.worker_pids()[0], signal.SIGKILL)  # the supervisor starts a new worker
        killed.set()

    k = threading.Thread(target=killer)
    k.start()
    with cf.ThreadPoolExecutor(8) as pool:
        list(pool.map(applicant, senders))
    k.join(timeout=150)
    assert killed.is_set() and len(confirmed) >= 6, (len(confirmed), len(senders))
    if workers == 1:  # the only server died: the users still in line saw no confirmation
        assert len(confirmed) < len(senders)
    # (with two workers the survivor may have served everyone still in line: nothing to assert there)

    if workers == 1:
        server.start()  # the same data folder and database
    server.wait_ready(workers=workers)
    stored = filings_by_sender(db_url)
    for sender, filing_id in confirmed.items():
        assert stored.get(sender) == [filing_id], f"{sender} was told {filing_id}, the database has {stored.get(sender)}"
    all_ids = [f for ids in stored.values() for f in ids]
    assert len(all_ids) == len(set(all_ids))

    # Everyone who reached the read-back confirms again (a retry): the same filing, never a second one.
    with httpx.Client() as c:
        for sender in sorted(readback):
            r = say(c, server.url, sender, "确认提交")
            assert r.status_code == 200, r.text
            again = receipt_id(r.json())
            assert again is not None, (sender, r.json())
            if sender in confirmed:
                assert again == confirmed[sender]
    stored = filings_by_sender(db_url)
    assert all(len(ids) == 1 for ids in stored.values()), stored
    assert set(stored) == readback


def test_retried_submit_with_same_key_returns_same_filing(tmp_path: Path) -> None:
    from actions.filings import FilingStore, LostNoticeData

    store = FilingStore(f"sqlite:///{tmp_path / 'f.db'}")
    store.migrate()
    data = LostNoticeData(company_name="青岛重试餐饮有限公司", uscc="91370211MA3C1234XN", license_type="食品经营许可证",
                          license_number="JY13702110012345", lost_date="2026-11-02", circumstances="搬迁时遗失正本",
                          contact_name="张海", contact_phone="13812345678")
    first = store.submit_lost_notice(data, "retry-sender:form-1")
    assert store.submit_lost_notice(data, "retry-sender:form-1").filing_id == first.filing_id
    assert len(store.list_filings()) == 1
    store.close()


# ---- the database goes away and comes back ----------------------------------------------------------------

class Proxy:
    """A TCP proxy to PostgreSQL that the test can cut (refuse and drop every connection) and restore."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def up(self) -> None:
        lst = socket.socket()
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lst.bind(("127.0.0.1", self.port))
        lst.listen(64)
        self._listener = lst
        self._thread = threading.Thread(target=self._accept, args=(lst,), daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening (new connections are refused) and reset every open connection."""
        lst, self._listener = self._listener, None
        if lst is not None:
            lst.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _accept(self, lst: socket.socket) -> None:
        while True:
            try:
                client, _ = lst.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.mark.postgres
def test_database_outage_gives_503_then_recovers_without_restart(pg_url: str, data_dir: Path,
                                                                 servers: list[Server]) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(pg_url)
    proxy = Proxy((url.host or "127.0.0.1", int(url.port or 5432)))
    proxy.up()
    try:
        via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        server = Server(data_dir, via_proxy, workers=1)
        servers.append(server)
        server.start()
        with httpx.Client() as c:
            r = say(c, server.url, "outage", "医疗机构校验要多久")
            assert r.status_code == 200
            proxy.down()
            for path in ("/webhooks/rest/webhook", "/api/chat"):
                body: dict[str, Any] = {"sender": "outage-sender-0000001", "message": "办事大厅几点上班"}
                if path == "/api/chat":
                    body["face"] = "portal"
                t0 = time.monotonic()
                r = c.post(server.url + path, json=body, timeout=30)
                assert time.monotonic() - t0 < 15, "an outage must be answered promptly"
                assert r.status_code == 503, (path, r.status_code, r.text)
                data = r.json()
                assert data["error"] == "unavailable" and "稍后再试" in data["message"], data
            r = c.get(server.url + "/health/ready", timeout=30)
            assert r.status_code == 503 and "稍后再试" in r.json()["message"]
            proxy.up()
            deadline = time.monotonic() + 30
            while True:  # no restart: the pools reconnect (pool_pre_ping) on the next requests
                r = say(c, server.url, "outage", "办事大厅几点上班", timeout=30)
                if r.status_code == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert r.status_code == 200, r.text
            assert server.proc is not None and server.proc.poll() is None
            assert c.get(server.url + "/health/ready", timeout=30).status_code == 200
    finally:
        proxy.down()


# ---- a corrupted or mismatched index is rebuilt on start -------------------------------------------------

@pytest.mark.parametrize("damage", ["garbage", "mismatch"])
def test_damaged_index_is_rebuilt_on_start(damage: str, data_dir: Path, servers: list[Server]) -> None:
    index = data_dir / "index"
    if damage == "garbage":
        (index / "vectors.faiss").write_bytes(os.urandom(4096))
    else:
        manifest = (index / "manifest.json").read_text(encoding="utf-8")
        (index / "manifest.json").write_text(manifest.replace('"ngram-', '"other-encoder-', 1), encoding="utf-8")
    server = Server(data_dir, None, workers=1)
    servers.append(server)
    server.start()
    with httpx.Client() as c:
        r = say(c, server.url, "after-rebuild", "医疗机构校验要多久")
        assert r.status_code == 200
        msgs = r.json()
        assert msgs and any((m.get("custom") or {}).get("type") == "answer_card" for m in msgs), msgs
        health = c.get(server.url + "/health").json()
        assert health["vectors"] > 1000
    from nlu.index import FaissIndex

    assert len(FaissIndex.load(index / "vectors.faiss", "flat")) == health["vectors"]  # a good file again
    assert '"other-encoder-' not in (index / "manifest.json").read_text(encoding="utf-8")


# ---- a knowledge file with errors cannot be published -----------------------------------------------------

def test_broken_knowledge_cannot_be_published(tmp_path: Path, data_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.settings import Settings
    from assistant.staff.editing import EditError

    settings = Settings(data_dir=data_dir, env="test", encoder="ngram", secret_key="ops-test-secret")
    with TestClient(create_app(settings)) as client:
        services = client.app.state.services  # type: ignore[attr-defined]
        staff = services.staff
        service = staff.knowledge
        question = services.knowledge.current.kb.items[ITEM].faqs[0].question

        def answer() -> str:
            r = client.post("/webhooks/rest/webhook", json={"sender": f"k{time.monotonic_ns()}", "message": question})
            assert r.status_code == 200
            return str(r.json()[0]["text"])

        live_item, live_answer = services.knowledge.current.kb.items[ITEM], answer()
        generation, latest = staff.store.generation(), staff.store.latest(ITEM)
        good = latest.text
        broken_texts = [
            "id: license-loss-notice\nname: [unclosed\n",  # YAML syntax
            good.replace("faqs:", "faqz:", 1),  # schema: a required key missing, an unknown one
            good.replace(f"id: {ITEM}", "id: another-item", 1),  # the id does not match the entry
        ]
        for broken in broken_texts:
            problems = service.save_text(ITEM, broken, "editor")
            assert problems, broken[:80]
            with pytest.raises(EditError) as err:
                service.publish(ITEM, "editor")
            assert "不能发布" in err.value.message
            with pytest.raises(EditError):
                service.publish_text(ITEM, broken, "editor")
            assert services.knowledge.current.kb.items[ITEM] is live_item
            assert staff.store.generation() == generation and staff.store.latest(ITEM) == latest
            assert answer() == live_answer
        service.discard(ITEM, "editor")
