"""A persistent text → vector cache per encoder, so rebuilds and retraining encode only new texts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


class VectorCache:
    """Vectors of known texts for one encoder, stored as .npy + .json beside each other."""

    def __init__(self, folder: Path | None, encoder_name: str, dim: int):
        self.dim = dim
        self._path = folder / f"vectors-{encoder_name}" if folder else None
        self._vecs: dict[str, np.ndarray] = {}
        self._dirty = False
        if self._path and self._path.with_suffix(".json").exists():
            try:
                keys = json.loads(self._path.with_suffix(".json").read_text(encoding="utf-8"))
                mat = np.load(self._path.with_suffix(".npy"))
                if mat.shape == (len(keys), dim):
                    self._vecs = dict(zip(keys, mat, strict=True))
            except (OSError, ValueError):
                self._vecs = {}  # a broken cache is only a slower start

    def get_many(self, texts: list[str]) -> dict[str, np.ndarray]:
        """The cached vectors among `texts`."""
        return {t: self._vecs[t] for t in texts if t in self._vecs}

    def as_dict(self) -> dict[str, np.ndarray]:
        """All cached vectors."""
        return dict(self._vecs)

    def update(self, vectors: dict[str, np.ndarray]) -> None:
        """Remember more vectors."""
        for t, v in vectors.items():
            if t not in self._vecs:
                self._vecs[t] = np.asarray(v, dtype=np.float32)
                self._dirty = True

    def save(self) -> None:
        """Write the cache if it changed."""
        if not self._path or not self._dirty:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._vecs)
        mat = np.stack([self._vecs[k] for k in keys]) if keys else np.zeros((0, self.dim), np.float32)
        np.save(self._path.with_suffix(".tmp.npy"), mat)
        self._path.with_suffix(".tmp.npy").replace(self._path.with_suffix(".npy"))
        self._path.with_suffix(".json").write_text(json.dumps(keys, ensure_ascii=False), encoding="utf-8")
        self._dirty = False
