"""Vector index behind a protocol; FAISS inside (exact inner product, IVF above a size)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import faiss
import numpy as np

from nlu.errors import IndexMismatch

# Below this many vectors an exact flat index is both fast enough and exact (see docs/benchmarks.md).
EXACT_MAX = 50_000
INDEX_SCHEMA = 2  # 2: the id table is bound to the vectors by a digest (`table_digest`)


@runtime_checkable
class VectorIndex(Protocol):
    """Id-addressed vectors with inner-product search."""

    dim: int

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under int64 ids."""
        ...

    def remove(self, ids: np.ndarray) -> int:
        """Remove ids; returns how many were removed."""
        ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query row; missing slots have id -1."""
        ...

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class Manifest:
    """What an index on disk was built from; any difference means it must be rebuilt."""

    encoder: str
    dim: int
    knowledge_hash: str
    schema_version: int
    index_kind: str = "flat"

    def check(self, expected: Manifest) -> None:
        """Raise IndexMismatch naming every field that differs."""
        diffs = [
            f"{k}: disk={v!r} expected={getattr(expected, k)!r}"
            for k, v in asdict(self).items()
            if k != "index_kind" and v != getattr(expected, k)
        ]
        if diffs:
            raise IndexMismatch("index on disk does not match: " + "; ".join(diffs))


class FaissIndex:
    """FAISS index with int64 ids: IndexFlatIP (exact) or IndexIVFFlat (approximate, large)."""

    def __init__(self, dim: int, index: faiss.Index | None = None, kind: str = "flat"):
        self.dim = dim
        self.kind = kind
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._frozen = False  # set once it serves searches: FAISS must not be written while it is searched

    def freeze(self) -> None:
        """From now on this index is only searched: `add` and `remove` raise (change a `clone()` instead)."""
        self._frozen = True

    def _writable(self) -> None:
        if self._frozen:
            raise RuntimeError("this index serves searches and is never changed; change a clone() of it")

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, exact_max: int = EXACT_MAX, nprobe: int = 96) -> FaissIndex:
        """A new index holding `vectors`; IVF when there are more than `exact_max`."""
        n, dim = vectors.shape if vectors.size else (0, vectors.shape[1] if vectors.ndim == 2 else 0)
        if n <= exact_max:
            idx = cls(dim)
        else:
            nlist = int(4 * np.sqrt(n))
            quantizer = faiss.IndexFlatIP(dim)
            ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            sample = vectors[rng.choice(n, size=min(n, nlist * 40), replace=False)]
            ivf.train(sample)
            ivf.nprobe = nprobe
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]  # ids stay addressable
            idx = cls(dim, ivf, kind="ivf")
        if n:
            idx.add(ids, vectors)
        return idx

    def clone(self) -> FaissIndex:
        """An independent copy (the vectors are copied)."""
        return FaissIndex(self.dim, faiss.clone_index(self._index), self.kind)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._writable()
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> int:
        self._writable()
        if not len(ids):
            return 0
        return int(self._index.remove_ids(np.asarray(ids, dtype=np.int64)))  # type: ignore[arg-type]

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(queries.reshape(-1, self.dim), dtype=np.float32)
        k = max(1, min(k, len(self))) if len(self) else 1
        return self._index.search(q, k)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def vector(self, vid: int) -> np.ndarray:
        """The stored vector of one id."""
        return np.asarray(self._index.reconstruct(int(vid)), dtype=np.float32)

    def save(self, path: Path) -> None:
        """Write the index atomically."""
        tmp = path.with_suffix(".tmp")
        faiss.write_index(self._index, str(tmp))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, kind: str) -> FaissIndex:
        """Read an index written by `save`."""
        index = faiss.read_index(str(path))
        return cls(index.d, index, kind=kind)


def table_digest(vectors_file: Path, docs: object) -> str:
    """A digest binding the id table (vector id → FAQ, text) to the bytes of the vectors file: an id table
    shuffled, cut or copied from another index no longer matches, even under a manifest that does."""
    h = hashlib.sha256()
    with vectors_file.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    h.update(json.dumps(docs, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return h.hexdigest()


def write_manifest(path: Path, manifest: Manifest, extra: dict[str, object]) -> None:
    """Write the manifest JSON (plus extra data such as the id table) atomically."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"manifest": asdict(manifest), **extra}, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def read_manifest(path: Path) -> tuple[Manifest, dict[str, object]]:
    """Read a manifest JSON; raise IndexMismatch when it is unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(**data.pop("manifest"))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexMismatch(f"unreadable manifest {path}: {exc}") from exc
    return manifest, data
