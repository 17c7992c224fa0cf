"""Lexical channel: BM25 over character uni/bi-grams and a domain dictionary of whole terms.

Documents live in a sparse matrix of saturated term frequencies; IDF is computed from live
document frequencies at query time, so adding, changing or removing one document is cheap:
changes go to a small delta table that is merged into the matrix when it grows.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np
from scipy import sparse

_ASCII_WORD = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_STOP_UNIGRAMS = set("的了吗呢吧啊呀么是我你他她它们这那个在有和与及或也就都要想请问下一")


class Tokenizer:
    """Splits normalised text into lexical terms: dictionary terms, CJK bigrams and unigrams, ASCII words."""

    def __init__(self, dictionary: Iterable[str] = ()):
        terms = sorted({t for t in dictionary if len(t) >= 2}, key=len, reverse=True)
        self._dict_re = re.compile("|".join(re.escape(t) for t in terms)) if terms else None

    def __call__(self, text: str) -> list[str]:
        out: list[str] = []
        if self._dict_re is not None:
            out += ["D:" + m.group(0) for m in self._dict_re.finditer(text)]
        out += _ASCII_WORD.findall(text)
        for run in re.findall(r"[\u3400-\u9fff]+", text):
            out += [c for c in run if c not in _STOP_UNIGRAMS]
            out += [run[i : i + 2] for i in range(len(run) - 1)]
        return out


class LexicalIndex:
    """BM25 over keyed documents with cheap incremental updates."""

    def __init__(self, tokenizer: Tokenizer, k1: float = 1.2, b: float = 0.5, merge_at: int = 512):
        self.tok = tokenizer
        self.k1, self.b, self.merge_at = k1, b, merge_at
        self._docs: dict[str, Counter[str]] = {}
        self._df: Counter[str] = Counter()
        self._vocab: dict[str, int] = {}
        self._rows: list[str] = []  # row -> key of the merged matrix
        self._row_of: dict[str, int] = {}
        self._matrix: sparse.csr_matrix = sparse.csr_matrix((0, 0), dtype=np.float32)
        self._delta: set[str] = set()  # keys changed/added since the last merge
        self._dead: set[int] = set()  # matrix rows of removed or changed documents
        self._total_len = 0

    def __len__(self) -> int:
        return len(self._docs)

    @property
    def avgdl(self) -> float:
        return self._total_len / max(1, len(self._docs))

    def set_doc(self, key: str, text: str) -> None:
        """Add or replace one document."""
        self.remove_doc(key)
        counts = Counter(self.tok(text))
        self._docs[key] = counts
        self._df.update(counts.keys())
        self._total_len += sum(counts.values())
        self._delta.add(key)
        if len(self._delta) >= self.merge_at:
            self._merge()

    def set_docs(self, items: Iterable[tuple[str, str]]) -> None:
        """Bulk add, merged once at the end."""
        merge_at, self.merge_at = self.merge_at, 1 << 62
        for key, text in items:
            self.set_doc(key, text)
        self.merge_at = merge_at
        self._merge()

    def remove_doc(self, key: str) -> None:
        """Remove one document if present."""
        counts = self._docs.pop(key, None)
        if counts is None:
            return
        self._df.subtract(counts.keys())
        self._total_len -= sum(counts.values())
        self._delta.discard(key)
        row = self._row_of.pop(key, None)
        if row is not None:
            self._dead.add(row)

    def _tf_row(self, counts: Counter[str], avgdl: float) -> dict[str, float]:
        dl = sum(counts.values())
        norm = self.k1 * (1 - self.b + self.b * dl / max(avgdl, 1e-9))
        return {t: c * (self.k1 + 1) / (c + norm) for t, c in counts.items()}

    def _merge(self) -> None:
        keys = list(self._docs)
        avgdl = self.avgdl
        data: list[float] = []
        cols: list[int] = []
        indptr = [0]
        for key in keys:
            for term, w in self._tf_row(self._docs[key], avgdl).items():
                col = self._vocab.setdefault(term, len(self._vocab))
                cols.append(col)
                data.append(w)
            indptr.append(len(cols))
        self._matrix = sparse.csr_matrix(
            (np.asarray(data, np.float32), np.asarray(cols, np.int32), np.asarray(indptr, np.int64)),
            shape=(len(keys), max(1, len(self._vocab))),
        )
        self._rows = keys
        self._row_of = {k: i for i, k in enumerate(keys)}
        self._delta.clear()
        self._dead.clear()

    def _idf(self, term: str) -> float:
        n = len(self._docs)
        df = self._df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def search(self, text: str, k: int = 20) -> list[tuple[str, float]]:
        """Top-k (key, score normalised by the query's own score, clipped to 1)."""
        terms = set(self.tok(text))
        if not terms or not self._docs:
            return []
        weights = {t: self._idf(t) * (2.0 if t.startswith("D:") else 1.0) for t in terms if self._df.get(t, 0) > 0}
        if not weights:
            return []
        self_score = sum(self._idf(t) * (2.0 if t.startswith("D:") else 1.0) for t in terms) * (self.k1 + 1) / (1 + self.k1)
        scores: dict[str, float] = {}
        cols = [(self._vocab[t], w) for t, w in weights.items() if t in self._vocab]
        if cols and self._matrix.shape[0]:
            q = np.zeros(self._matrix.shape[1], dtype=np.float32)
            for c, w in cols:
                q[c] = w
            s = self._matrix @ q
            if self._dead:
                s[list(self._dead)] = 0.0
            top = np.argpartition(-s, min(k, len(s) - 1))[: k + len(self._dead)] if len(s) > k else np.arange(len(s))
            for i in top:
                if s[i] > 0:
                    scores[self._rows[i]] = float(s[i])
        avgdl = self.avgdl
        for key in self._delta:
            row = self._tf_row(self._docs[key], avgdl)
            val = sum(w * row[t] for t, w in weights.items() if t in row)
            if val > 0:
                scores[key] = val
        best = sorted(scores.items(), key=lambda kv: -kv[1])[:k]
        return [(key, min(1.0, v / max(self_score, 1e-9))) for key, v in best]
