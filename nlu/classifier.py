"""Intent classifier: logistic regression over character n-grams and sentence vectors.

Training (scikit-learn: tf-idf character 1-3-grams + multinomial logistic regression) takes seconds (vectors
come from the persistent cache); what scoring needs is then exported into plain numpy arrays (vocabulary, idf,
coefficients) and scored with numpy alone, so serving never imports scikit-learn or SciPy (about 1 s of
start-up). The model is stored under a key made of the training data's digest and the encoder, so it retrains
exactly when either changes (or when MODEL_VERSION changes).
"""

from __future__ import annotations

import io
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlu.types import IntentScore

MODEL_VERSION = 4  # 4: numpy arrays in an .npz archive (no scikit-learn objects)
PAYLOAD_DEPTH = 4  # nesting a payload's JSON may have ({"slot": [values]} is 2); deeper is not a payload
_PAYLOAD = re.compile(r"^\s*/(?P<intent>[A-Za-z_][\w-]*)(?P<entities>\{.*\})?\s*$", re.S)
_WHITE_SPACES = re.compile(r"\s\s+")  # sklearn's _VectorizerMixin._white_spaces
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# The TfidfVectorizer settings `train` uses and `CharTfidf` reproduces; any other value is refused at training.
_VECTORIZER: dict[str, Any] = {
    "analyzer": "char", "ngram_range": (1, 3), "lowercase": True, "strip_accents": None, "preprocessor": None,
    "binary": False, "use_idf": True, "smooth_idf": True, "sublinear_tf": True, "norm": "l2", "min_df": 1,
    "input": "content",
}


@dataclass(frozen=True)
class Payload:
    """A message in Rasa's payload syntax: /intent{"entity": "value"}."""

    intent: str  # the intent named after the slash
    entities: dict[str, object]  # the JSON object, if any
    entities_span: tuple[int, int]  # offsets of the JSON object in the text


def _storable(value: object, depth: int = 0) -> bool:
    """JSON of at most PAYLOAD_DEPTH levels whose strings hold no NUL or lone surrogate (nothing below — the
    conversation state, the filings, PostgreSQL — could take those)."""
    if isinstance(value, str):
        return not _UNSTORABLE.search(value)
    if isinstance(value, (list, dict)):
        if depth >= PAYLOAD_DEPTH:
            return False
        items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        return all(_storable(v, depth + 1) for v in items)
    return True


def parse_payload(text: str) -> Payload | None:
    """Parse `/intent{...}`; None when the text is not in payload syntax, the JSON is broken, nested deeper than
    PAYLOAD_DEPTH or holds text nothing can store (then it is read as ordinary text)."""
    m = _PAYLOAD.match(text)
    if not m:
        return None
    ents: dict[str, object] = {}
    if m.group("entities"):
        try:
            loaded = json.loads(m.group("entities"))
        except (ValueError, RecursionError):
            return None
        if not isinstance(loaded, dict) or not _storable(loaded):
            return None
        ents = loaded
    span = (m.start("entities"), m.end("entities")) if m.group("entities") else (0, 0)
    return Payload(m.group("intent"), ents, span)


class CharTfidf:
    """scikit-learn's TfidfVectorizer(analyzer="char", sublinear_tf=True, norm="l2") transform, in pure Python.

    Same steps as sklearn: lowercase, collapse runs of two or more white spaces into one space, character
    n-grams, counts of the known n-grams, 1 + log(count), times idf, row divided by its L2 norm.
    """

    def __init__(self, terms: Sequence[str], idf: np.ndarray, ngram_range: tuple[int, int], lowercase: bool):
        self.terms = list(terms)  # column → n-gram
        self.vocabulary = {t: i for i, t in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.lowercase = bool(lowercase)

    def analyze(self, text: str) -> list[str]:
        """The n-grams of `text`, as sklearn's char analyzer yields them."""
        if self.lowercase:
            text = text.lower()
        text = _WHITE_SPACES.sub(" ", text)
        n_text = len(text)
        lo, hi = self.ngram_range
        grams: list[str] = []
        if lo == 1:
            grams.extend(text)
            lo = 2
        for n in range(lo, min(hi + 1, n_text + 1)):
            grams.extend(text[i : i + n] for i in range(n_text - n + 1))
        return grams

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, l2-normalised tf-idf weights) of the known n-grams of `text`."""
        vocab = self.vocabulary
        counts = Counter(g for g in self.analyze(text) if g in vocab)
        if not counts:
            return np.zeros(0, np.intp), np.zeros(0, np.float64)
        cols = np.fromiter((vocab[g] for g in counts), np.intp, len(counts))
        w = np.fromiter((math.log(c) for c in counts.values()), np.float64, len(counts)) + 1.0
        w *= self.idf[cols]
        norm = math.sqrt(float(np.dot(w, w)))
        if norm > 0.0:
            w /= norm
        return cols, w


class IntentClassifier:
    """Multinomial logistic regression over [tf-idf character 1-3-grams, scaled sentence vector], scored with numpy."""

    def __init__(self, tfidf: CharTfidf, coef: np.ndarray, intercept: np.ndarray, classes: Sequence[str],
                 dense_scale: float):
        n_terms = len(tfidf.terms)
        coef = np.asarray(coef, dtype=np.float64)
        self.tfidf = tfidf
        self.coef_text = np.ascontiguousarray(coef[:, :n_terms].T)  # (n_terms, k): rows gathered per text
        self.coef_dense = np.ascontiguousarray(coef[:, n_terms:])  # (k, dim)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.dense_scale = float(dense_scale)
        self.labels: list[str] = [str(c) for c in classes]

    @classmethod
    def train(
        cls, texts: Sequence[str], labels: Sequence[str], vectors: np.ndarray, dense_scale: float = 1.5, c: float = 8.0
    ) -> IntentClassifier:
        """Fit on normalised texts, their labels and their sentence vectors (scikit-learn is imported here only)."""
        model, vec = fit_sklearn(texts, labels, vectors, dense_scale, c)
        return cls.from_sklearn(vec, model, dense_scale)

    @classmethod
    def from_sklearn(cls, vec: Any, model: Any, dense_scale: float) -> IntentClassifier:
        """Export a fitted TfidfVectorizer + LogisticRegression into numpy arrays."""
        params = vec.get_params()
        wrong = {k: params[k] for k, v in _VECTORIZER.items() if k != "ngram_range" and params[k] != v}
        if wrong or tuple(params["ngram_range"])[0] < 1 or params.get("tokenizer") is not None:
            raise ValueError(f"CharTfidf does not reproduce these TfidfVectorizer settings: {wrong or params}")
        terms = [""] * len(vec.vocabulary_)
        for term, col in vec.vocabulary_.items():
            terms[col] = term
        tfidf = CharTfidf(terms, vec.idf_, tuple(params["ngram_range"]), params["lowercase"])
        return cls(tfidf, model.coef_, model.intercept_, [str(x) for x in model.classes_], dense_scale)

    def decision(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Logistic regression scores, one row per text (one column per class; one column for two classes)."""
        dense = np.asarray(vectors)
        dense = (dense.reshape(len(texts), -1) * self.dense_scale).astype(np.float64)
        out = dense @ self.coef_dense.T + self.intercept
        for row, text in enumerate(texts):
            cols, w = self.tfidf.features(text)
            if len(cols):
                out[row] += w @ self.coef_text[cols]
        return out

    def predict_proba(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Class probabilities (columns in `labels` order), as LogisticRegression.predict_proba gives them."""
        d = self.decision(texts, vectors)
        if len(self.labels) <= 2:  # sklearn: binary → expit of the one score
            p = 1.0 / (1.0 + np.exp(-d[:, 0]))
            return np.stack([1.0 - p, p], axis=1)
        d -= d.max(axis=1, keepdims=True)  # sklearn.utils.extmath.softmax
        np.exp(d, out=d)
        d /= d.sum(axis=1, keepdims=True)
        return d

    def ranking(self, probs: np.ndarray) -> list[IntentScore]:
        """One row of probabilities as intents, best first."""
        order = np.argsort(-probs)
        return [IntentScore(self.labels[i], float(probs[i])) for i in order]

    def predict(self, text: str, vector: np.ndarray) -> list[IntentScore]:
        """All intents with probabilities, best first."""
        return self.ranking(self.predict_proba([text], vector[None, :])[0])

    def save(self, path: Path) -> None:
        """Write the arrays as one .npz archive (whatever `path` is called); no pickled objects."""
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"version": MODEL_VERSION, "labels": self.labels, "dense_scale": self.dense_scale,
                "ngram_range": list(self.tfidf.ngram_range), "lowercase": self.tfidf.lowercase}
        coef = np.concatenate([self.coef_text.T, self.coef_dense], axis=1)
        buf = io.BytesIO()
        # Terms as JSON: numpy's fixed-width strings would drop a trailing NUL.
        np.savez(buf, meta=np.array(json.dumps(meta, ensure_ascii=False)),
                 terms=np.array(json.dumps(self.tfidf.terms, ensure_ascii=False)), idf=self.tfidf.idf, coef=coef,
                 intercept=self.intercept)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(buf.getvalue())
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> IntentClassifier | None:
        """Load a model saved by `save`; None if absent, unreadable or of another version."""
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                if meta.get("version") != MODEL_VERSION:
                    return None
                tfidf = CharTfidf(json.loads(str(z["terms"])), z["idf"], tuple(meta["ngram_range"]), meta["lowercase"])
                return cls(tfidf, z["coef"], z["intercept"], meta["labels"], meta["dense_scale"])
        except Exception:
            return None


def fit_sklearn(texts: Sequence[str], labels: Sequence[str], vectors: np.ndarray, dense_scale: float = 1.5,
                c: float = 8.0) -> tuple[Any, Any]:
    """The scikit-learn (LogisticRegression, TfidfVectorizer) pair the classifier is exported from."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1)
    x_sparse = vec.fit_transform(texts)
    x = sparse.hstack([x_sparse, sparse.csr_matrix(vectors * dense_scale)]).tocsr()
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(x, list(labels))
    return model, vec
