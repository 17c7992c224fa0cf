"""What chat would answer, for many questions at once, with the live index or a private copy of it.

A candidate change is applied with `Retriever.updated` (a copy of the live index with the change in it) and
compared with the live answers without touching what applicants see.
`Judge` computes the chat's decision per question exactly as `NluPipeline._parse` does (same encoder,
classifier, retriever search and `decide`), with the classifier's results computed in one batch and
cached: a knowledge change never changes them (the classifier is trained at start-up only).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlu.classifier import parse_payload
from nlu.index import FaissIndex
from nlu.normalize import normalize
from nlu.pipeline import NluPipeline
from nlu.retrieval import Retriever
from nlu.types import IntentScore

ASK_SERVICE = "ask_service"
DENSE_K = 60  # Retriever.search's default dense_k


class BatchedIndex:
    """Stands in for a retriever's index: single-query searches answered from one batched FAISS search.

    Retriever.search asks the index one query at a time; for thousands of questions one batched search of
    the same index is several times faster (results agree up to float rounding, ~1e-7)."""

    def __init__(self, inner: FaissIndex, queries: np.ndarray, k: int = DENSE_K):
        self.inner = inner
        self.dim = inner.dim
        self.k = k
        q = np.ascontiguousarray(queries, dtype=np.float32)
        scores, ids = inner.search(q, k) if len(q) else (np.zeros((0, k)), np.zeros((0, k)))
        self._found = {q[i].tobytes(): (scores[i : i + 1], ids[i : i + 1]) for i in range(len(q))}

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(queries, dtype=np.float32)
        hit = self._found.get(q[0].tobytes()) if len(q) == 1 and k == self.k else None
        return hit if hit is not None else self.inner.search(q, k)

    def __len__(self) -> int:
        return len(self.inner)


def batched(retriever: Retriever, prepared: Sequence[Prepared]) -> Retriever:
    """A copy of the retriever whose index answers the prepared questions from one batched search (the
    retriever itself is left as it is)."""
    twin = copy.copy(retriever)
    if prepared and isinstance(twin.index, FaissIndex):
        twin.index = BatchedIndex(twin.index, np.stack([p.qvec for p in prepared]))  # type: ignore[assignment]
    return twin


@dataclass(frozen=True)
class Answer:
    """What chat does with a question: the decided intent and, for ask_service, the FAQ it answers with."""

    intent: str
    faq_id: str | None
    question: str
    score: float

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.intent, self.faq_id if self.intent == ASK_SERVICE else None)

    @property
    def answers_faq(self) -> str | None:
        return self.faq_id if self.intent == ASK_SERVICE else None


@dataclass(frozen=True)
class Prepared:
    """A question's normalised text, query vector and intent ranking (independent of the knowledge)."""

    text: str
    norm: str
    qvec: np.ndarray
    ranking: tuple[IntentScore, ...]


class Judge:
    """Answers questions like the live pipeline; caches what does not depend on the knowledge."""

    def __init__(self, pipeline: NluPipeline):
        self.pipeline = pipeline
        self._prepared: dict[str, Prepared] = {}
        self._owner = (id(pipeline.encoder), id(pipeline.classifier))
        self._lock = threading.Lock()

    def prepare(self, texts: Sequence[str]) -> list[Prepared]:
        """Prepared questions (payloads and empty texts are left out: they never reach retrieval)."""
        pipe = self.pipeline
        with self._lock:
            if self._owner != (id(pipe.encoder), id(pipe.classifier)):
                self._prepared.clear()
                self._owner = (id(pipe.encoder), id(pipe.classifier))
            todo = [t for t in dict.fromkeys(texts) if t not in self._prepared and parse_payload(t) is None]
            norms = [normalize(t).text for t in todo]
            keep = [(t, n) for t, n in zip(todo, norms, strict=True) if n.strip()]
            if keep:
                vecs = [pipe.encoder.encode_query(n[:256]) for _, n in keep]
                for (t, n), v, ranking in zip(keep, vecs, self._classify([n[:512] for _, n in keep], vecs), strict=True):
                    self._prepared[t] = Prepared(t, n, v, ranking)
            return [self._prepared[t] for t in texts if t in self._prepared]

    def _classify(self, norms: list[str], vecs: list[np.ndarray]) -> list[tuple[IntentScore, ...]]:
        """IntentClassifier.predict for many texts in one batch (same features, same model)."""
        clf = self.pipeline.classifier
        probs = clf.predict_proba(norms, np.stack(vecs))
        return [tuple(clf.ranking(row)) for row in probs]

    def answer(self, retriever: Retriever, p: Prepared) -> Answer:
        """The chat's decision for one prepared question with the given retriever."""
        hits = retriever.search(p.norm[:512], p.qvec, k=10)
        intent = self.pipeline.decide(list(p.ranking), max((h.evidence for h in hits), default=0.0), p.norm)
        top = hits[0] if hits else None
        return Answer(intent.name, top.faq_id if top else None, top.question if top else "", float(top.score) if top else 0.0)
