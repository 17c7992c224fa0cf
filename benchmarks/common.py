"""Shared helpers: paths, logging to stderr, machine facts, CPU-contention monitor, child processes."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench-cache"
DOC = ROOT / "docs" / "benchmarks.md"
PYTHON = sys.executable
TUNE = ROOT / "tests" / "data" / "tune_queries.jsonl"  # thresholds are chosen on this set only
TEST = ROOT / "tests" / "data" / "test_queries.jsonl"  # written blind, never tuned on: the reported figures
DEV = ROOT / "tests" / "contract" / "dev_queries.jsonl"  # the repository's copy of ../shared/contract
_T0 = time.perf_counter()


def log(msg: str) -> None:
    """Progress line on stderr, with seconds since start."""
    print(f"[bench {time.perf_counter() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def pct(values: Sequence[float], q: float) -> float:
    """Percentile (linear), NaN for no values."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else float("nan")


def fmt(x: object, digits: int = 1) -> str:
    """A table cell: floats rounded, None as an em dash."""
    if x is None:
        return "—"
    if isinstance(x, float):
        if x != x:  # NaN
            return "—"
        return f"{x:.{digits}f}"
    return str(x)


def check(ok: bool | None) -> str:
    """✅ / ❌ / — for a target."""
    return "—" if ok is None else ("✅" if ok else "❌")


# ---- machine ------------------------------------------------------------------------------------
def machine_info() -> dict[str, str]:
    """CPU model, cores, RAM (from /proc), OS, Python, git commit, date."""
    cpu = "unknown"
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu == "unknown":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    simd = ", ".join(f for f in ("avx2", "avx512f", "avx512_vnni") if f in flags) or "none"
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": f"{cpu} ({simd})",
        "cores": str(os.cpu_count()),
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "commit": git_commit(),
    }


def git_commit() -> str:
    """Short commit plus '+dirty' when the work tree has changes."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True, timeout=10).stdout.strip()
        return f"{sha}{' (+ uncommitted changes)' if dirty else ''}" if sha else "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


# ---- contention ---------------------------------------------------------------------------------
def _busy_jiffies() -> tuple[int, int]:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    vals = [int(x) for x in fields]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    return sum(vals[:8]) - idle, sum(vals[:8])


def _own_cpu() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


@dataclass
class CpuMonitor:
    """Measures, over a stretch of time, how many cores other programs kept busy (foreign load)."""

    wall: float = 0.0
    own_cores: float = 0.0
    foreign_cores: float = 0.0
    _start: tuple[float, int, float] = field(default=(0.0, 0, 0.0), repr=False)

    def __enter__(self) -> CpuMonitor:
        self._start = (time.perf_counter(), _busy_jiffies()[0], _own_cpu())
        return self

    def __exit__(self, *exc: object) -> None:
        t0, b0, o0 = self._start
        self.wall = max(1e-9, time.perf_counter() - t0)
        hz = os.sysconf("SC_CLK_TCK")
        busy = (_busy_jiffies()[0] - b0) / hz
        own = _own_cpu() - o0
        self.own_cores = own / self.wall
        self.foreign_cores = max(0.0, (busy - own) / self.wall)

    def note(self) -> str:
        """One line for the report."""
        return (f"other programs kept {self.foreign_cores:.2f} of {os.cpu_count()} cores busy during this section "
                f"({self.wall:.0f} s; the benchmark itself used {self.own_cores:.2f})")


# ---- child processes ----------------------------------------------------------------------------
def run_child(task: str, args: dict[str, object], timeout: float, env: dict[str, str] | None = None) -> dict:
    """Run `python -m benchmarks.child TASK` with JSON args; returns its JSON result (raises on failure)."""
    with tempfile.TemporaryDirectory(prefix="lingling-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [PYTHON, "-m", "benchmarks.child", task, json.dumps(args, ensure_ascii=False), str(out)]
        full_env = {**os.environ, **(env or {})}
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=full_env, timeout=timeout, capture_output=True,
                                  text=True)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"child {task} exceeded {timeout:.0f} s") from exc
        if proc.returncode != 0 or not out.exists():
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"child {task} exited {proc.returncode}:\n{tail}")
        return json.loads(out.read_text(encoding="utf-8"))


def lingling(args: Sequence[str], timeout: float, env: dict[str, str] | None = None) -> tuple[int, str, str, float]:
    """Run the `lingling` CLI; returns (exit code, stdout, stderr, wall seconds)."""
    exe = Path(PYTHON).parent / "lingling"
    cmd = [str(exe)] if exe.exists() else [PYTHON, "-m", "assistant.cli"]
    t = time.perf_counter()
    proc = subprocess.run([*cmd, *args], cwd=ROOT, env={**os.environ, **(env or {})}, timeout=timeout,
                          capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - t


def encoder_env(encoder: str, threads: int | None = None) -> dict[str, str]:
    """Environment selecting an encoder (and its thread count) for the CLI and children."""
    env = {"LINGLING_ENCODER": encoder}
    if threads:
        env["LINGLING_ENCODER_THREADS"] = str(threads)
        env["OMP_NUM_THREADS"] = str(threads)
    return env


def data_dir(encoder: str) -> Path:
    """The prepared data folder of an encoder (index + vector cache + intent model)."""
    return CACHE / f"data-{encoder}"


_PREPARED: set[str] = set()


def ensure_data_dir(encoder: str, timeout: float = 900) -> Path:
    """Build (or refresh) the prepared data folder of `encoder` with `lingling index build` (once per run)."""
    d = data_dir(encoder)
    if encoder in _PREPARED and (d / "index" / "manifest.json").exists():
        return d
    d.mkdir(parents=True, exist_ok=True)
    log(f"preparing {d.relative_to(ROOT)} (lingling index build, encoder {encoder})")
    code, _, err, secs = lingling(["--data-dir", str(d), "index", "build"], timeout, encoder_env(encoder))
    if code != 0:
        raise RuntimeError(f"lingling index build failed ({code}): {err.strip().splitlines()[-5:]}")
    log(f"data folder ready in {secs:.1f} s")
    _PREPARED.add(encoder)
    return d


def fresh_dir(name: str) -> Path:
    """An empty folder under bench-cache/tmp."""
    d = CACHE / "tmp" / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def dir_size(path: Path) -> int:
    """Bytes of all files under `path`."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def read_messages() -> tuple[list[dict], list[dict]]:
    """(test cases, dev cases) as dicts."""
    def read(p: Path) -> list[dict]:
        return [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()] if p.exists() else []

    return read(TEST), read(DEV)


def distinct_messages() -> list[str]:
    """All distinct test + dev message texts, in file order."""
    held, dev = read_messages()
    return list(dict.fromkeys(c["text"] for c in held + dev))
