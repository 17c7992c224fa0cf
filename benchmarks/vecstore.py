"""Encoded vectors kept between benchmark runs: bench-cache/vectors/<encoder>/part-*.npy + .json.

Keys are `nlu.embeddings.text_key(encoder name, text)` (a SHA-1 of encoder + text), so a changed encoder
or text never reuses a stale vector. Parts are appended as encoding goes on, so an interrupted run keeps
what it had encoded. `stats.json` remembers how fast the first encoding went (texts/s), for the report.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.common import CACHE, CpuMonitor, log
from nlu.embeddings import Encoder, EncoderSpec, encode_many, text_key


class VectorStore:
    """Append-only text-key → vector store of one encoder."""

    def __init__(self, encoder_name: str, dim: int, root: Path = CACHE / "vectors"):
        self.encoder_name = encoder_name
        self.dim = dim
        self.folder = root / encoder_name
        self.folder.mkdir(parents=True, exist_ok=True)
        self._vecs: dict[str, np.ndarray] = {}
        for part in sorted(self.folder.glob("part-*.json")):
            try:
                keys = json.loads(part.read_text(encoding="utf-8"))
                mat = np.load(part.with_suffix(".npy"))
            except (OSError, ValueError):
                log(f"ignoring unreadable cache part {part.name}")
                continue
            if mat.shape == (len(keys), dim):
                self._vecs.update(zip(keys, mat, strict=True))

    def __len__(self) -> int:
        return len(self._vecs)

    def get(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors among `texts`, by text."""
        out = {}
        for t in texts:
            v = self._vecs.get(text_key(self.encoder_name, t))
            if v is not None:
                out[t] = v
        return out

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Append one part."""
        keys = [text_key(self.encoder_name, t) for t in texts]
        n = len(list(self.folder.glob("part-*.json")))
        stem = self.folder / f"part-{n:05d}-{int(time.time())}"
        np.save(stem.with_suffix(".npy"), np.asarray(vectors, dtype=np.float32))
        stem.with_suffix(".json").write_text(json.dumps(keys), encoding="utf-8")  # written last: marks the part complete
        self._vecs.update(zip(keys, np.asarray(vectors, dtype=np.float32), strict=True))

    # ---- encoding statistics ------------------------------------------------------------------
    @property
    def _stats_path(self) -> Path:
        return self.folder / "stats.json"

    def stats(self) -> dict:
        """Totals of every encoding run that filled this store."""
        try:
            return json.loads(self._stats_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"texts": 0, "seconds": 0.0, "runs": []}

    def _record(self, n: int, secs: float, workers: int, foreign: float) -> None:
        st = self.stats()
        st["texts"] = int(st.get("texts", 0)) + n
        st["seconds"] = float(st.get("seconds", 0.0)) + secs
        st.setdefault("runs", []).append({"texts": n, "seconds": round(secs, 2), "workers": workers,
                                          "foreign_cores": round(foreign, 2), "at": time.strftime("%Y-%m-%d %H:%M")})
        self._stats_path.write_text(json.dumps(st, indent=1), encoding="utf-8")


def _lock(folder: Path, wait_s: float) -> int | None:
    """An exclusive lock on the store (another run may be encoding into it); None after `wait_s`."""
    import os

    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
    t0 = time.perf_counter()
    said = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.perf_counter() - t0 > wait_s:
                os.close(fd)
                return None
            if not said:
                log(f"another process is encoding into {folder.name}; waiting (at most {wait_s / 60:.0f} min)")
                said = True
            time.sleep(5)


def ensure_vectors(encoder: Encoder, spec: EncoderSpec, texts: Sequence[str], workers: int = 2,
                   part_size: int = 4096, budget_s: float | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Vectors of `texts` (document side), encoding only what the store lacks, in `workers` processes.

    Stops after the part that exceeds `budget_s` while more than 512 texts are left (then info["incomplete"]
    is True). Returns (vectors by text,
    info) where info has cached / encoded counts, seconds and texts/s of this call.
    """
    import os

    t_start = time.perf_counter()
    fd = _lock(CACHE / "vectors" / encoder.name, budget_s if budget_s is not None else 24 * 3600)
    try:
        store = VectorStore(encoder.name, encoder.dim)
        uniq = list(dict.fromkeys(texts))
        have = store.get(uniq)
        todo = [t for t in uniq if t not in have]
        info: dict = {"texts": len(uniq), "cached": len(have), "encoded": 0, "seconds": 0.0, "texts_per_s": None,
                      "incomplete": bool(todo) and fd is None}
        if todo and fd is not None:
            log(f"encoding {len(todo)} texts with {encoder.name}, {workers} worker processes "
                f"({len(have)} already cached under {store.folder.relative_to(CACHE.parent)})")
            done = 0
            t0 = time.perf_counter()
            with CpuMonitor() as mon:
                for i in range(0, len(todo), part_size):
                    if budget_s is not None and time.perf_counter() - t_start > budget_s and len(todo) - done > 512:
                        info["incomplete"] = True
                        log(f"  encoding budget of {budget_s / 60:.0f} min used up: {len(todo) - done} texts left")
                        break
                    part = todo[i : i + part_size]
                    tp = time.perf_counter()
                    vecs = encode_many(encoder, spec, part, workers=workers)
                    store.add(part, vecs)
                    have.update(zip(part, vecs, strict=True))
                    done += len(part)
                    el = time.perf_counter() - t0
                    log(f"  encoded {done}/{len(todo)} ({len(part) / (time.perf_counter() - tp):.0f} texts/s this part, "
                        f"{done / el:.0f} overall, ~{(len(todo) - done) / max(done / el, 1e-9) / 60:.1f} min left)")
            secs = time.perf_counter() - t0
            if done:
                store._record(done, secs, workers, mon.foreign_cores)
            info.update(encoded=done, seconds=secs, texts_per_s=done / secs if secs else None,
                        foreign_cores=mon.foreign_cores)
        info["missing"] = len(uniq) - len(have)
        info["store"] = store.stats()
        return have, info
    finally:
        if fd is not None:
            os.close(fd)
