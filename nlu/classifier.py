"""Intent classifier: logistic regression over character n-grams and sentence vectors.

Training takes seconds (vectors come from the persistent cache); the model is stored under a key
made of the training data's digest and the encoder, so it retrains exactly when either changes.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlu.types import IntentScore

MODEL_VERSION = 3
_PAYLOAD = re.compile(r"^\s*/(?P<intent>[A-Za-z_][\w-]*)(?P<entities>\{.*\})?\s*$", re.S)


@dataclass(frozen=True)
class Payload:
    """A message in Rasa's payload syntax: /intent{"entity": "value"}."""

    intent: str  # the intent named after the slash
    entities: dict[str, object]  # the JSON object, if any
    entities_span: tuple[int, int]  # offsets of the JSON object in the text


def parse_payload(text: str) -> Payload | None:
    """Parse `/intent{...}`; None when the text is not in payload syntax or the JSON is broken."""
    import json

    m = _PAYLOAD.match(text)
    if not m:
        return None
    ents: dict[str, object] = {}
    if m.group("entities"):
        try:
            loaded = json.loads(m.group("entities"))
        except ValueError:
            return None
        if not isinstance(loaded, dict):
            return None
        ents = loaded
    span = (m.start("entities"), m.end("entities")) if m.group("entities") else (0, 0)
    return Payload(m.group("intent"), ents, span)


class IntentClassifier:
    """Multinomial logistic regression over [tf-idf character 1-3-grams, scaled sentence vector]."""

    def __init__(self, vectorizer: TfidfVectorizer, model: LogisticRegression, dense_scale: float):
        self.vectorizer = vectorizer
        self.model = model
        self.dense_scale = dense_scale
        self.labels: list[str] = [str(c) for c in model.classes_]

    @classmethod
    def train(
        cls, texts: Sequence[str], labels: Sequence[str], vectors: np.ndarray, dense_scale: float = 1.5, c: float = 8.0
    ) -> IntentClassifier:
        """Fit on normalised texts, their labels and their sentence vectors."""
        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1)
        x_sparse = vec.fit_transform(texts)
        x = sparse.hstack([x_sparse, sparse.csr_matrix(vectors * dense_scale)]).tocsr()
        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        model.fit(x, list(labels))
        return cls(vec, model, dense_scale)

    def predict(self, text: str, vector: np.ndarray) -> list[IntentScore]:
        """All intents with probabilities, best first."""
        x = sparse.hstack([self.vectorizer.transform([text]), sparse.csr_matrix(vector[None, :] * self.dense_scale)])
        probs = self.model.predict_proba(x.tocsr())[0]
        order = np.argsort(-probs)
        return [IntentScore(self.labels[i], float(probs[i])) for i in order]

    def save(self, path: Path) -> None:
        """Pickle the model (a local artefact made by this program, never loaded from elsewhere)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps((MODEL_VERSION, self.vectorizer, self.model, self.dense_scale)))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> IntentClassifier | None:
        """Load a model saved by `save`; None if absent, unreadable or of another version."""
        try:
            version, vec, model, scale = pickle.loads(path.read_bytes())
        except Exception:
            return None
        return cls(vec, model, scale) if version == MODEL_VERSION else None
