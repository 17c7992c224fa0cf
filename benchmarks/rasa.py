"""`make bench-rasa`: 灵灵 and Rasa 3.6.21's own NLU side by side, measured in one sitting on this machine.

Both are trained on the same `nlu/data/nlu.yml` (灵灵 also indexes its knowledge base; Rasa gets the standard
pipeline of `lingling export rasa --rasa-nlu`: char n-gram counts + DIET), both serve `/model/parse` on loopback,
and both are asked every question of tests/data/test_queries.jsonl (written blind, never tuned on), one at a
time. Figures: intent accuracy (Rasa's `nlu_fallback` counts as out_of_scope), service top-1 (灵灵 only: Rasa's
NLU has no knowledge retrieval), parse p50/p95 over HTTP, training time (`lingling index build` vs
`rasa train nlu`), ready time (process start → answering), RSS of the serving process once every question
was asked. Prints the Markdown table for docs/benchmarks.md; progress on stderr.

Needs the Rasa venv of scripts/provision.sh (LINGLING_RASA_VENV names another). `--rasa-model` reuses a model.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import ROOT, TEST, fmt, log, machine_info, pct

RASA_VENV = Path(os.environ.get("LINGLING_RASA_VENV") or Path.home() / ".cache" / "lingling" / "rasa-3.6.21" / "venv")
LINGLING = ROOT / ".venv" / "bin" / "lingling"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (MB)."""
    total = 0
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 600) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({proc.returncode})")
        try:
            if httpx.post(f"{url}/model/parse", json={"text": "你好"}, timeout=5).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready in {timeout} s")


def ask_all(url: str, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[float]]:
    answers, ms = [], []
    with httpx.Client(timeout=60) as client:
        for row in rows:
            start = time.perf_counter()
            resp = client.post(f"{url}/model/parse", json={"text": row["text"]})
            ms.append((time.perf_counter() - start) * 1000)
            resp.raise_for_status()
            answers.append(resp.json())
    return answers, ms


def scores(rows: list[dict[str, Any]], answers: list[dict[str, Any]]) -> tuple[float, float | None]:
    def intent(a: dict[str, Any]) -> str:
        name = str((a.get("intent") or {}).get("name") or "")
        return "out_of_scope" if name == "nlu_fallback" else name

    intent_acc = sum(intent(a) == r["intent"] for r, a in zip(rows, answers, strict=True)) / len(rows)
    covered = [(r, a) for r, a in zip(rows, answers, strict=True) if r.get("kind") == "covered" and r.get("service")]
    if not covered or "retrieval" not in answers[0]:
        return intent_acc, None
    top1 = sum(bool((a["retrieval"]["ranking"] or [{}])[0].get("service_id") == r["service"]) for r, a in covered)
    return intent_acc, top1 / len(covered)


def rasa_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINGLING_", "VIRTUAL_ENV"))}
    env.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3", SQLALCHEMY_SILENCE_UBER_WARNING="1")
    return env


def bench_rasa(work: Path, rows: list[dict[str, Any]], model: Path | None, train_s: float | None) -> dict[str, Any]:
    rasa = str(RASA_VENV / "bin" / "rasa")
    project = work / "rasa-nlu"
    subprocess.run([str(LINGLING), "export", "rasa", str(project), "--rasa-nlu"], check=True, cwd=ROOT)
    if model is None:
        log("rasa train nlu ...")
        start = time.monotonic()
        subprocess.run([rasa, "train", "nlu", "--config", "config.yml", "--nlu", "data/nlu.yml", "--out", "models",
                        "--fixed-model-name", "nlu"], cwd=project, env=rasa_env(), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        train_s = time.monotonic() - start
        model = project / "models" / "nlu.tar.gz"
    port = free_port()
    log(f"rasa run --enable-api on {port} ...")
    return serve_and_ask([rasa, "run", "--enable-api", "--model", str(model), "--interface", "127.0.0.1", "--port",
                          str(port)], port, project, rasa_env(), rows, train_s)


def serve_and_ask(cmd: list[str], port: int, cwd: Path, env: dict[str, str], rows: list[dict[str, Any]],
                  train_s: float) -> dict[str, Any]:
    """Start a server, time it to its first answer, ask every question, read its RSS, stop it: the figures of one
    side of the table."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        ready = wait_ready(url, proc)
        answers, ms = ask_all(url, rows)
        rss = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    intent_acc, top1 = scores(rows, answers)
    return {"train_s": train_s, "ready_s": ready, "ms": ms, "rss": rss, "intent": intent_acc, "top1": top1}


def bench_lingling(work: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    data = work / "lingling"
    env = {**os.environ, "LINGLING_DATA_DIR": str(data), "LINGLING_ENV": "development", "LINGLING_RATE_LIMIT": "false",
           "LINGLING_LOG_LEVEL": "WARNING"}
    log("lingling index build ...")
    start = time.monotonic()
    subprocess.run([str(LINGLING), "index", "build"], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    train_s = time.monotonic() - start
    port = free_port()
    log(f"lingling serve on {port} ...")
    return serve_and_ask([str(LINGLING), "serve", "--host", "127.0.0.1", "--port", str(port)], port, ROOT, env, rows,
                         train_s)


def table(ours: dict[str, Any], rasa: dict[str, Any], n: int) -> str:
    def row(name: str, r: dict[str, Any]) -> str:
        return (f"| {name} | {fmt(r['intent'], 3)} | {fmt(r['top1'], 3)} | {fmt(pct(r['ms'], 50))} | "
                f"{fmt(pct(r['ms'], 95))} | {fmt(r['ready_s'])} | {fmt(r['rss'], 0)} | {fmt(r['train_s'])} |")

    m = machine_info()
    return "\n".join([
        f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['ram']} RAM, commit {m['commit']}; "
        f"{n} questions of tests/data/test_queries.jsonl, one at a time over HTTP on loopback.",
        "",
        "| NLU server | intent accuracy | service top-1 | /model/parse p50 ms | p95 ms | ready s | RSS MB | training s |",
        "|---|---|---|---|---|---|---|---|",
        row("灵灵 (`lingling serve`; training = `lingling index build`)", ours),
        row("Rasa 3.6.21 own NLU (`rasa run`; training = `rasa train nlu`)", rasa),
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rasa-model", type=Path, default=None, help="a trained NLU model (skips rasa train nlu)")
    p.add_argument("--rasa-train-seconds", type=float, default=None,
                   help="how long `rasa train nlu` took for --rasa-model (measured in the same sitting)")
    p.add_argument("--limit", type=int, default=0, help="first N questions only (a quick look)")
    args = p.parse_args(argv)
    if not (RASA_VENV / "bin" / "rasa").is_file():
        print(f"no Rasa at {RASA_VENV}: bash scripts/provision.sh installs it", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in TEST.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = rows[: args.limit] if args.limit else rows
    with tempfile.TemporaryDirectory(prefix="bench-rasa-") as tmp:
        ours = bench_lingling(Path(tmp), rows)
        rasa = bench_rasa(Path(tmp), rows, args.rasa_model, args.rasa_train_seconds)
    print(table(ours, rasa, len(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
