"""`lingling actions` as a real process: /health, /actions and the protocol over a socket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.live_server import free_port

WIRE = Path(__file__).resolve().parents[1] / "contract" / "rasa_protocol" / "action_wire.jsonl"


@pytest.mark.slow
def test_lingling_actions_process(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "LINGLING_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "actions", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).json().get("status") == "ok":
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "exited"
            assert time.monotonic() < deadline, "action server did not start"
            time.sleep(0.3)
        assert "action_submit_lost_notice" in {a["name"] for a in httpx.get(f"{base}/actions").json()}
        records = [json.loads(line) for line in WIRE.read_text(encoding="utf-8").splitlines() if line.strip()]
        for rec in records:
            resp = httpx.post(f"{base}{rec['path']}", json=rec["request"], timeout=10)
            assert resp.status_code == rec["status"]
        assert resp.json() == records[-1]["response"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
