"""Measurements that need a process of their own (thread count, RSS, a clean heap).

`python -m benchmarks.child TASK 'JSON args' RESULT.json` — run by benchmarks.common.run_child.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import CACHE, ROOT, distinct_messages, log, pct, read_messages
from benchmarks.conversations import task_conversations

TODAY = dt.date(2026, 11, 23)  # a fixed day: relative dates in messages resolve the same on every run


# ---- process facts --------------------------------------------------------------------------------
def proc_status() -> dict[str, float]:
    """VmRSS / VmHWM (MiB) and threads from /proc/self/status, plus getrusage maxrss (MiB)."""
    out: dict[str, float] = {"maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, val = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key.lower() + "_mib"] = int(val.split()[0]) / 1024
            elif key == "Threads":
                out["threads"] = int(val)
    except OSError:
        pass
    return out


def summary(ms: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max of milliseconds."""
    return {"n": len(ms), "p50": pct(ms, 50), "p95": pct(ms, 95), "p99": pct(ms, 99),
            "mean": float(np.mean(ms)) if ms else float("nan"), "max": max(ms) if ms else float("nan")}


class Timers:
    """Wraps functions/methods in place and adds up their wall time (for phase breakdowns)."""

    def __init__(self) -> None:
        self.secs: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, owner: Any, attr: str, label: str) -> None:
        raw = owner.__dict__[attr]
        is_cm = isinstance(raw, classmethod)
        timed = self._timed(raw.__func__ if is_cm else raw, label)
        setattr(owner, attr, classmethod(timed) if is_cm else timed)

    def wrap_fn(self, module: Any, name: str, label: str) -> None:
        """Same for a module-level function as looked up by the module that calls it."""
        timed = self._timed(getattr(module, name), label)
        setattr(module, name, timed)

    def _timed(self, fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        """`fn`, adding its wall time and call count under `label`."""

        def timed(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.secs[label] = self.secs.get(label, 0.0) + time.perf_counter() - t
                self.calls[label] = self.calls.get(label, 0) + 1

        return timed


def build_timers() -> Timers:
    """Timers around the phases of `load_pipeline`."""
    import nlu.classifier
    import nlu.embeddings
    import nlu.index
    import nlu.lexical
    import nlu.pipeline
    import nlu.retrieval
    import nlu.vector_cache

    t = Timers()
    t.wrap(nlu.retrieval.Retriever, "build", "Retriever.build (all)")
    t.wrap(nlu.retrieval.Retriever, "load", "Retriever.load (index from disk)")
    t.wrap(nlu.retrieval.Retriever, "save", "Retriever.save")
    t.wrap(nlu.retrieval.Retriever, "vectors_by_text", "Retriever.vectors_by_text")
    t.wrap(nlu.index.FaissIndex, "build", "FaissIndex.build")
    t.wrap(nlu.lexical.LexicalIndex, "set_docs", "LexicalIndex.set_docs")
    t.wrap(nlu.classifier.IntentClassifier, "train", "IntentClassifier.train")
    t.wrap(nlu.classifier.IntentClassifier, "load", "IntentClassifier.load")
    t.wrap(nlu.vector_cache.VectorCache, "save", "VectorCache.save")
    t.wrap(nlu.vector_cache.VectorCache, "__init__", "VectorCache load")
    for mod in (nlu.retrieval, nlu.pipeline):
        t.wrap_fn(mod, "encode_many", "encode_many (encoding)")
    t.wrap_fn(nlu.pipeline, "load_training_data", "load_training_data")
    return t


def apply_ivf_fix() -> None:
    """Benchmark-only shim of the proposed nlu/index.py fix: IVF with a hash-table direct map.

    The shipped `FaissIndex.build` calls `ivf.make_direct_map()` (array map) and then `add_with_ids`, which FAISS
    refuses ("cannot have array direct map and add with ids"), so any index above EXACT_MAX fails to build.
    """
    import faiss

    import nlu.index as ix

    def build(cls: type, ids: np.ndarray, vectors: np.ndarray, exact_max: int = ix.EXACT_MAX, nprobe: int = 24) -> Any:
        n, dim = vectors.shape
        if n <= exact_max:
            idx = cls(dim)
        else:
            nlist = int(4 * np.sqrt(n))
            ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            ivf.train(vectors[rng.choice(n, size=min(n, nlist * 40), replace=False)])
            ivf.nprobe = nprobe
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # the fix (was: ivf.make_direct_map())
            idx = cls(dim, ivf, kind="ivf")
        if n:
            idx.add(ids, vectors)
        return idx

    ix.FaissIndex.build = classmethod(build)  # type: ignore[assignment,method-assign]


# ---- latency ------------------------------------------------------------------------------------
def measure_parse(pipe: Any, messages: list[str], rounds: int, budget_s: float = 1e9,
                  with_focus: bool = False) -> dict[str, Any]:
    """Warm single-message latency through pipeline._parse with the query-vector cache off; `with_focus`: every
    message parsed as the next message of a conversation about some service (the services in turn)."""
    from nlu.types import Focus

    enc = pipe.encoder
    enc.size = 0  # CachedEncoder keeps nothing: every distinct message is encoded
    enc._cache.clear()
    services = sorted(pipe.kb.items)
    focus_of = {m: Focus(services[i % len(services)]) if with_focus else None for i, m in enumerate(messages)}
    for m in messages[:25]:  # warm-up: code paths, allocator, OpenMP pool
        pipe._parse(m, TODAY, focus_of[m])
    wall: list[float] = []
    cpu: list[float] = []
    stages: dict[str, list[float]] = {}
    by_len: dict[str, list[float]] = {}
    start = time.perf_counter()
    for r in range(rounds):
        if r and time.perf_counter() - start > budget_s:
            break  # at least one full round; further rounds only within the budget
        for m in messages:
            if len(wall) >= 100 and time.perf_counter() - start > budget_s:
                break  # a slow configuration (e.g. OpenMP threads fighting other programs) stops at the budget
            c0 = time.process_time()
            t0 = time.perf_counter()
            res = pipe._parse(m, TODAY, focus_of[m])
            t1 = time.perf_counter()
            c1 = time.process_time()
            ms = (t1 - t0) * 1000
            wall.append(ms)
            cpu.append((c1 - c0) * 1000)
            for k, v in res.timings_ms.items():
                stages.setdefault(k, []).append(float(v))
            n = len(m)
            bucket = "≤10" if n <= 10 else "11–20" if n <= 20 else "21–40" if n <= 40 else ">40"
            by_len.setdefault(bucket, []).append(ms)
    done = max(1, len(wall) // max(1, len(messages)))
    return {
        "wall": summary(wall),
        "cpu_mean_ms": float(np.mean(cpu)),
        "stages": {k: {"p50": pct(v, 50), "p95": pct(v, 95), "mean": float(np.mean(v))} for k, v in stages.items()},
        "rounds_done": done,
        "by_len": {k: {"n": len(v) // done, "p50": pct(v, 50), "p95": pct(v, 95)} for k, v in by_len.items()},
    }


def measure_repeat(pipe: Any, messages: list[str]) -> dict[str, Any]:
    """pipeline.parse twice per message; the second call's latency."""
    pipe._cache.clear()
    second: list[float] = []
    for m in messages:
        pipe.parse(m, TODAY)
        t0 = time.perf_counter()
        pipe.parse(m, TODAY)
        second.append((time.perf_counter() - t0) * 1000)
    return summary(second)


def task_latency(args: dict[str, Any]) -> dict[str, Any]:
    from assistant.loading import build_pipeline
    from assistant.settings import Settings

    t = time.perf_counter()
    pipe = build_pipeline(Settings(data_dir=Path(args["data_dir"])))  # encoder/threads from LINGLING_* env
    load_s = time.perf_counter() - t
    msgs = distinct_messages()
    log(f"latency child: {pipe.encoder.name}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
        f"{len(msgs)} messages × {args['rounds']} rounds")
    out = {"load_s": load_s, "encoder": pipe.encoder.name, "omp": os.environ.get("OMP_NUM_THREADS"),
           "messages": len(msgs), "rounds": args["rounds"]}
    out["parse"] = measure_parse(pipe, msgs, int(args["rounds"]), float(args.get("budget_s", 1e9)))
    if args.get("focus"):
        out["parse_focus"] = measure_parse(pipe, msgs, int(args["rounds"]), float(args.get("budget_s", 1e9)), True)
    out["repeat"] = measure_repeat(pipe, msgs)
    out["proc"] = proc_status()
    return out


# ---- build breakdown ------------------------------------------------------------------------------
def task_build(args: dict[str, Any]) -> dict[str, Any]:
    """A from-scratch build (as `lingling index build --force`) with its phases timed."""
    from assistant.loading import build_pipeline
    from assistant.settings import Settings

    timers = build_timers()
    t = time.perf_counter()
    pipe = build_pipeline(Settings(data_dir=Path(args["data_dir"])), force=True)
    return {"total_s": time.perf_counter() - t, "phases": timers.secs, "calls": timers.calls,
            "vectors": len(pipe.retriever.index), "proc": proc_status()}


# ---- cold-start breakdown -------------------------------------------------------------------------
def task_startup(args: dict[str, Any]) -> dict[str, Any]:
    """Where a server start goes: imports, knowledge base, pipeline load (index, classifier), first parse."""
    t0 = time.perf_counter()
    import assistant.app  # noqa: F401
    import nlu.pipeline  # noqa: F401
    from assistant.loading import build_pipeline, load_live_kb
    from assistant.settings import Settings

    t_imp = time.perf_counter()
    timers = build_timers()
    settings = Settings(data_dir=Path(args["data_dir"]))
    kb = load_live_kb(settings)[0]
    t_kb = time.perf_counter()
    pipe = build_pipeline(settings, kb)
    t_pipe = time.perf_counter()
    pipe.parse("食品经营许可证丢了怎么办")
    t_first = time.perf_counter()
    from assistant.app import create_app

    app = create_app(settings)  # route registration (the engine itself loads in the lifespan)
    t_app = time.perf_counter()
    return {"imports_s": t_imp - t0, "kb_s": t_kb - t_imp, "pipeline_s": t_pipe - t_kb, "first_parse_s": t_first - t_pipe,
            "create_app_s": t_app - t_first, "routes": len(app.routes), "phases": timers.secs}


# ---- scale ------------------------------------------------------------------------------------------
def _scale_kb(n: int) -> Any:
    from benchmarks.synth import mixed_kb
    from knowledge.loader import load_knowledge

    return mixed_kb(load_knowledge(), n)


def _scale_cfg(data_dir: Path, encoder: str) -> Any:
    from nlu.embeddings import EncoderSpec
    from nlu.pipeline import NluConfig

    threads = int(os.environ.get("LINGLING_ENCODER_THREADS", "2"))
    return NluConfig(data_dir=data_dir, encoder=EncoderSpec(encoder, None, threads), build_workers=2)


def task_scale_build(args: dict[str, Any]) -> dict[str, Any]:
    """Build the index + intent model of real + N synthetic FAQs, vectors pre-seeded (no encoding)."""
    from nlu.pipeline import load_pipeline
    from nlu.retrieval import faq_texts
    from nlu.vector_cache import VectorCache

    n, data_dir, encoder = int(args["n"]), Path(args["data_dir"]), str(args["encoder"])
    if args.get("ivf_fix"):
        apply_ivf_fix()
    t = time.perf_counter()
    kb = _scale_kb(n)
    gen_s = time.perf_counter() - t
    texts = [x for i, f in kb.faqs for x in faq_texts(i, f)]
    # Seed the pipeline's own vector cache: bench-cache vectors (synthetic + demo) and the demo data folder's
    # cache (demo texts + intent training examples), so the build encodes (almost) nothing.
    from benchmarks.vecstore import VectorStore

    cfg = _scale_cfg(data_dir, encoder)
    enc_name = args["encoder_name"]
    dim = int(args["dim"])
    seed = VectorCache(data_dir / "cache", enc_name, dim)
    known = VectorStore(enc_name, dim).get(texts)
    n_proxy = 0
    if args.get("proxy"):
        # Encoding is incomplete: stand-in vectors for the missing texts = perturbed copies of encoded synthetic
        # vectors (clustered like real ones). Good enough for build time, size, RSS and latency; not for accuracy.
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        pool = np.stack(list(known.values()))
        rng = np.random.default_rng(7)
        picks = pool[rng.integers(0, len(pool), len(missing))]
        noisy = picks + 0.15 * rng.standard_normal(picks.shape).astype(np.float32) / np.sqrt(dim)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        known.update(zip(missing, noisy.astype(np.float32), strict=True))
        n_proxy = len(missing)
    seed.update(known)
    demo = VectorCache(Path(args["demo_data_dir"]) / "cache", enc_name, dim)
    seed.update(demo.as_dict())
    seed.save()
    rss_before = proc_status()
    timers = build_timers()
    log(f"scale build child: {len(kb.faqs)} FAQs, {len(texts)} texts; building")
    t = time.perf_counter()
    pipe = load_pipeline(kb, cfg, force_rebuild=True)
    build_s = time.perf_counter() - t
    sizes = {p.name: sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) for p in data_dir.iterdir() if p.is_dir()}
    return {"n": n, "faqs": len(kb.faqs), "services": len(kb.items), "texts": len(set(texts)), "gen_s": gen_s, "proxy": n_proxy,
            "build_s": build_s, "vectors": len(pipe.retriever.index), "index_kind": pipe.retriever.index.kind,
            "phases": timers.secs, "calls": timers.calls, "sizes": sizes, "rss_before": rss_before,
            "proc": proc_status()}


def task_scale_serve(args: dict[str, Any]) -> dict[str, Any]:
    """Load the built scale index from disk (as a server start would), then latency and accuracy."""
    import nlu.retrieval
    from nlu.pipeline import load_pipeline

    n, data_dir, encoder = int(args["n"]), Path(args["data_dir"]), str(args["encoder"])
    if args.get("ivf_fix"):
        apply_ivf_fix()
    kb = _scale_kb(n)
    rebuilt: list[bool] = []
    orig_build = nlu.retrieval.Retriever.build

    def build(self: Any, *a: Any, **kw: Any) -> Any:
        rebuilt.append(True)
        return orig_build(self, *a, **kw)

    nlu.retrieval.Retriever.build = build  # type: ignore[method-assign]
    t = time.perf_counter()
    pipe = load_pipeline(kb, _scale_cfg(data_dir, encoder))
    load_s = time.perf_counter() - t
    after_load = proc_status()
    msgs = distinct_messages()
    lat = measure_parse(pipe, msgs, int(args.get("rounds", 1)))
    # Service ranking on the real test questions: ask_service cases with a service label.
    held, dev = read_messages()
    rows = []
    for name, cases in (("test", held), ("dev", dev)):
        cases = [c for c in cases if c.get("intent") == "ask_service" and c.get("service")]
        top1 = top3 = stolen = 0
        rr = []
        for c in cases:
            res = pipe._parse(c["text"], TODAY)
            services = list(dict.fromkeys(h.service_id for h in res.ranking))
            rank = services.index(c["service"]) + 1 if c["service"] in services else 0
            top1 += rank == 1
            top3 += 0 < rank <= 3
            rr.append(1 / rank if rank else 0.0)
            stolen += bool(services) and services[0].startswith("synth-")
        rows.append({"set": name, "n": len(cases), "top1": top1 / max(1, len(cases)), "top3": top3 / max(1, len(cases)),
                     "mrr": float(np.mean(rr)) if rr else 0.0, "synthetic_top1": stolen})
    # Intent accuracy on the test set's covered, other-intent and out-of-scope messages (the classifier now also
    # learns from the synthetic FAQs).
    from nlu.evaluate import evaluate, read_cases

    cases = [c for c in read_cases(ROOT.joinpath("tests/data/test_queries.jsonl").read_text(encoding="utf-8").splitlines())
             if c.kind in ("covered", "other_intent", "oos")]
    rep = evaluate(cases, lambda text: pipe._parse(text, TODAY), today=TODAY)
    return {"n": n, "load_s": load_s, "rebuilt": bool(rebuilt), "vectors": len(pipe.retriever.index),
            "index_kind": pipe.retriever.index.kind, "latency": lat, "service": rows,
            "intent_accuracy": rep.intent_accuracy, "oos_recall": rep.oos_recall, "oos_precision": rep.oos_precision,
            "after_load": after_load, "proc": proc_status()}


# ---- flat vs IVF ----------------------------------------------------------------------------------
def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def task_ann(args: dict[str, Any]) -> dict[str, Any]:
    """Exact flat vs IVF (as nlu.index builds it) latency and recall at several sizes, 1 FAISS thread."""
    import faiss

    from benchmarks.vecstore import VectorStore
    from nlu.embeddings import EncoderSpec
    from nlu.index import EXACT_MAX, FaissIndex

    faiss.omp_set_num_threads(1)  # as the pipeline runs it (nlu.pipeline._single_threaded_helpers)
    spec = EncoderSpec(str(args["encoder"]), threads=1)
    enc = spec.create()
    store = VectorStore(enc.name, enc.dim)
    pool = np.stack(list(store._vecs.values())) if len(store) else np.zeros((0, enc.dim), np.float32)
    rng = np.random.default_rng(42)
    pool = pool[rng.permutation(len(pool))]
    queries = enc.encode_queries([m[:256] for m in distinct_messages()])
    queries = queries[: int(args.get("max_queries", 400))]
    log(f"ann child: {len(pool)} real {enc.name} vectors available, {len(queries)} real queries")
    stock_ok = True
    try:
        FaissIndex.build(np.arange(200), _unit(rng.standard_normal((200, enc.dim))), exact_max=10)
    except RuntimeError as exc:
        stock_ok = False
        stock_error = str(exc).splitlines()[0][:160]
        apply_ivf_fix()  # patches FaissIndex.build in place
    results = []
    for n in args["sizes"]:
        for dataset in args["datasets"]:
            if dataset == "real":
                real = pool[:n]
                x = real if len(real) >= n else np.vstack([real, _unit(rng.standard_normal((n - len(real), enc.dim)))])
                n_real = len(real)
            else:
                x = _unit(rng.standard_normal((n, enc.dim)))
                n_real = 0
            ids = np.arange(n, dtype=np.int64)
            t = time.perf_counter()
            flat = FaissIndex.build(ids, x, exact_max=n)
            flat_build = time.perf_counter() - t
            t = time.perf_counter()
            ivf = FaissIndex.build(ids, x, exact_max=0)
            ivf_build = time.perf_counter() - t
            truth_ids: list[np.ndarray] = []
            flat_ms: list[float] = []
            for _ in range(int(args.get("rounds", 2))):
                for q in queries:
                    t = time.perf_counter()
                    _, i = flat.search(q[None, :], 60)
                    flat_ms.append((time.perf_counter() - t) * 1000)
                    if len(truth_ids) < len(queries):
                        truth_ids.append(i[0])
            row: dict[str, Any] = {"n": n, "dataset": dataset, "n_real": n_real, "flat_build_s": flat_build,
                                   "ivf_build_s": ivf_build, "nlist": int(ivf._index.nlist), "flat": summary(flat_ms),
                                   "flat_bytes": len(faiss.serialize_index(flat._index)),
                                   "ivf_bytes": len(faiss.serialize_index(ivf._index)), "ivf": []}
            for nprobe in args["nprobes"]:
                ivf._index.nprobe = nprobe
                ms: list[float] = []
                rec10: list[float] = []
                rec60: list[float] = []
                for r in range(int(args.get("rounds", 2))):
                    for qi, q in enumerate(queries):
                        t = time.perf_counter()
                        _, i = ivf.search(q[None, :], 60)
                        ms.append((time.perf_counter() - t) * 1000)
                        if r == 0:
                            truth = truth_ids[qi]
                            rec10.append(len(set(i[0][:10].tolist()) & set(truth[:10].tolist())) / 10)
                            rec60.append(len(set(i[0].tolist()) & set(truth.tolist())) / 60)
                row["ivf"].append({"nprobe": nprobe, "lat": summary(ms), "recall10": float(np.mean(rec10)),
                                   "recall60": float(np.mean(rec60))})
            log(f"  n={n} {dataset}: flat p50 {row['flat']['p50']:.2f} ms; "
                + ", ".join(f"nprobe {r['nprobe']}: {r['lat']['p50']:.2f} ms r@10 {r['recall10']:.3f}" for r in row["ivf"]))
            results.append(row)
    out: dict[str, Any] = {"exact_max": EXACT_MAX, "queries": len(queries), "pool": len(pool), "encoder": enc.name,
                           "rows": results, "stock_ivf_ok": stock_ok}
    if not stock_ok:
        out["stock_ivf_error"] = stock_error
    return out


TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "latency": task_latency,
    "startup": task_startup,
    "build": task_build,
    "scale_build": task_scale_build,
    "scale_serve": task_scale_serve,
    "ann": task_ann,
    "conversations": task_conversations,
}


def main() -> int:
    task, raw, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    os.chdir(ROOT)
    CACHE.mkdir(exist_ok=True)
    result = TASKS[task](json.loads(raw))
    out.write_text(json.dumps(result, ensure_ascii=False, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
