"""Fixtures of the operations tests: real `lingling serve` processes on loopback, fresh databases.

- `ngram_state` (session): a data folder with the ngram index and intent model of the demo base, copied into
  each server's data folder so that servers start in seconds.
- `pg_url`: a fresh PostgreSQL schema on LINGLING_TEST_PG_URL (tests/needs.py), dropped afterwards.
- `Server`: `lingling serve --workers N` as a subprocess on 127.0.0.1 and a free port; every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_server import free_port
from tests.needs import pg_schema

REPO = Path(__file__).resolve().parents[2]
LINGLING = Path(sys.executable).with_name("lingling")
START_TIMEOUT = 180.0  # seconds for a server to answer /health/ready (slow when the machine is busy)


@pytest.fixture(scope="session")
def ngram_state(tmp_path_factory: pytest.TempPathFactory, demo_kb: Any) -> Path:
    """A data folder with the ngram index and intent model (built once)."""
    from nlu.embeddings import EncoderSpec
    from nlu.pipeline import NluConfig, load_pipeline

    data_dir = tmp_path_factory.mktemp("ops-ngram")
    load_pipeline(demo_kb, NluConfig(data_dir=data_dir, encoder=EncoderSpec("ngram"), build_workers=1))
    return data_dir


@pytest.fixture
def data_dir(tmp_path: Path, ngram_state: Path) -> Path:
    """A server's data folder, holding a copy of the ngram index."""
    target = tmp_path / "var"
    shutil.copytree(ngram_state, target)
    return target


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema (search_path) on LINGLING_TEST_PG_URL."""
    with pg_schema("ops") as url:
        yield url


class Server:
    """`lingling serve` in a subprocess (its own process group), bound to 127.0.0.1."""

    def __init__(self, data_dir: Path, db_url: str | None = None, workers: int = 1, port: int | None = None,
                 encoder: str = "ngram", env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.db_url = db_url
        self.workers = workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"server-{self.port}.log"
        self.env = {**os.environ, "LINGLING_ENCODER": encoder, "LINGLING_DATA_DIR": str(data_dir), "LINGLING_ENV": "test",
                    "LINGLING_SECRET_KEY": "ops-test-secret", "LINGLING_ANNOUNCE": "0",
                    "LINGLING_RATE_LIMIT": "false",  # these tests send bursts from one address on purpose
                    **(env or {})}
        self.env.pop("LINGLING_DATABASE_URL", None)
        if db_url:
            self.env["LINGLING_DATABASE_URL"] = db_url
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = START_TIMEOUT) -> Server:
        cmd = [str(LINGLING), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        out = self.log.open("ab")
        self.proc = subprocess.Popen(cmd, env=self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        out.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT, workers: int | None = None) -> None:
        """Until /health/ready answers 200 (from `workers` different processes when given)."""
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                r = httpx.get(self.url + "/health/ready", timeout=5, headers={"connection": "close"})
                if r.status_code == 200:
                    seen.add(r.headers.get("x-lingling-worker", ""))
                    if len(seen) >= (workers or 1):
                        return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server not ready after {timeout:.0f}s:\n{self.tail()}")

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (children of the supervisor; the server itself with one worker)."""
        assert self.proc is not None
        if self.workers == 1:
            return [self.proc.pid]
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, timeout=10).stdout
        pids = [int(p) for p in out.split()]
        return [p for p in pids if "spawn_main" in _cmdline(p) and "resource_tracker" not in _cmdline(p)]

    def kill9(self) -> None:
        """SIGKILL the whole process group (server and workers)."""
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        except ProcessLookupError:
            pass

    def tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Servers appended here are stopped (process group) at teardown."""
    made: list[Server] = []
    yield made
    for server in made:
        server.stop()


# ---- conversation helpers --------------------------------------------------------------------------------

LOST_NOTICE = ('/start_lost_notice{{"company_name": "青岛{name}餐饮有限公司", "uscc": "91370211MA3C1234XN", '
               '"license_type": "食品经营许可证", "license_number": "JY13702110012345", "lost_copy": "正本", "lost_date": "2026-11-02", '
               '"circumstances": "搬迁时遗失正本", "contact_name": "张海", "contact_phone": "13812345678"}}')


def say(client: httpx.Client, url: str, sender: str, text: str, timeout: float = 60) -> httpx.Response:
    return client.post(url + "/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=timeout)


def receipt_id(messages: list[dict[str, Any]]) -> str | None:
    """The filing id of a receipt card among the bot messages."""
    for m in messages:
        custom = m.get("custom") or {}
        if custom.get("type") == "receipt":
            return str(custom["filing_id"])
    return None
