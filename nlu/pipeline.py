"""The NLU pipeline: normalise → encode → classify + retrieve + extract → thresholds → ParseResult."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from threading import Lock, RLock
from typing import Any

import numpy as np

from knowledge import clock
from knowledge.loader import KnowledgeBase
from knowledge.referrals import load_directory
from nlu import topics
from nlu.answerability import Answerability
from nlu.classifier import IntentClassifier, parse_payload
from nlu.documents import DocumentCheck
from nlu.embeddings import CachedEncoder, EncoderSpec, encode_many
from nlu.entities import EntityExtractor, VocabEntry
from nlu.errors import IndexMismatch
from nlu.focus import FocusConfig, FocusResolver, asks_whether, bare_aspect, followup_intent
from nlu.form_reply import FormReader
from nlu.normalize import fold, normalize
from nlu.pinyin import PinyinIndex, looks_like_pinyin
from nlu.retrieval import FusionWeights, ItemChange, Retriever, faq_texts
from nlu.screen import default_screen
from nlu.segment import split_questions
from nlu.training_data import DEFAULT_NLU, load_training_data
from nlu.types import Entity, Focus, Hit, IntentScore, Match, ParseResult, Part
from nlu.vector_cache import VectorCache

log = logging.getLogger(__name__)

MAX_KB_EXAMPLES = 2000  # knowledge texts used as ask_service examples, spread evenly over the base
FILING_INTENTS = frozenset({"start_lost_notice", "start_medical_validation"})
CONTRACT_INTENTS = (
    "greet", "goodbye", "thanks", "affirm", "deny", "bot_identity", "human_handoff", "ask_service",
    "start_lost_notice", "start_medical_validation", "check_status", "search_notice", "out_of_scope",
)


@dataclass(frozen=True)
class Thresholds:
    """Confidence thresholds, chosen on the tune set (tests/data/tune_queries.jsonl; see docs/benchmarks.md)."""

    fallback: float = 0.45  # below this the classifier's answer is not trusted → out_of_scope
    filing: float = 0.60  # starting a filing needs more certainty than answering a question
    retrieval_min: float = 0.30  # ask_service needs a knowledge entry at least this good
    retrieval_rescue: float = 0.62  # out_of_scope/low confidence with a hit this good → ask_service


@dataclass(frozen=True)
class NluConfig:
    """Where the pipeline's inputs and artefacts live."""

    data_dir: Path | None  # index, classifier and vector cache; None = in memory only
    encoder: EncoderSpec
    nlu_paths: tuple[Path, ...] = (DEFAULT_NLU,)
    cache_size: int = 4096
    build_workers: int = 2
    weights: FusionWeights = field(default_factory=FusionWeights)
    thresholds: Thresholds = field(default_factory=Thresholds)
    knowledge_dir: Path | None = None  # where the referral directory lives (None: the demo folder's)
    focus: FocusConfig = field(default_factory=FocusConfig)


def vocab(kinds: list) -> list[VocabEntry]:  # type: ignore[type-arg]
    """Entity vocabulary from the knowledge base's named kinds."""
    return [VocabEntry(k.name, tuple(k.aliases)) for k in kinds]


class NluPipeline:
    """Parses messages; supports FAQ-by-FAQ updates while serving."""

    def __init__(self, kb: KnowledgeBase, cfg: NluConfig, encoder: CachedEncoder, retriever: Retriever,
                 classifier: IntentClassifier):
        self.kb = kb
        self.cfg = cfg
        self.encoder = encoder
        self.retriever = retriever
        retriever.freeze()  # it serves from now on: a change makes an updated copy (`updated`)
        self.classifier = classifier
        self.extractor = EntityExtractor(vocab(kb.license_types()), vocab(kb.validation_items()))
        self.form_reader = FormReader(self.extractor, vocab(kb.license_types()), vocab(kb.validation_items()))  # replies while a form asks
        self.thresholds = cfg.thresholds
        faqs_by_service = {i.id: [f.id for f in i.faqs] for i in kb.items.values()}
        self.focus = FocusResolver(kb, cfg.focus)
        named = self.focus.subjects  # (bound here: the answerability keeps no reference to the pipeline)
        self.answerability = Answerability(load_directory(cfg.knowledge_dir), default_screen(), retriever.texts_of,
                                           lambda sid: faqs_by_service.get(sid, []), encoder=encoder.name,
                                           documents=DocumentCheck(t for k in kb.license_types() for t in (k.name, *k.aliases)),
                                           subjects=lambda text: named.services(text)[0])
        self._pinyin: PinyinIndex | None = None  # built on the first pinyin message (~2 s)
        self._pinyin_lock = Lock()
        self._cache: OrderedDict[tuple[str, dt.date, Focus | None], ParseResult] = OrderedDict()
        self._lock = RLock()

    # ---- parsing --------------------------------------------------------------------------
    def parse(self, text: str, today: dt.date | None = None, focus: Focus | None = None) -> ParseResult:
        """Understand one message, given the conversation's topic in focus (cached: a repeated message with
        the same focus costs a dictionary lookup). A message asking several questions has `parts`."""
        today = today or clock.today()
        hit = self.cached(text, today, focus)
        if hit is not None:
            return hit
        result = self._parse(text, today, focus)
        with self._lock:
            self._cache[(text, today, focus)] = result
            if len(self._cache) > self.cfg.cache_size:
                self._cache.popitem(last=False)
        return result

    def cached(self, text: str, today: dt.date | None = None, focus: Focus | None = None) -> ParseResult | None:
        """The cached parse of a repeated message, else None (lets async callers skip a thread hop)."""
        key = (text, today or clock.today(), focus)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def _parse(self, text: str, today: dt.date, focus: Focus | None = None) -> ParseResult:
        result = self._parse_one(text, today, focus)
        if parse_payload(text) is not None or (result.ranking and result.ranking[0].matched == result.normalized):
            return result  # a button, or a question of the knowledge base word for word ("…吗？在哪个系统？")
        segments = split_questions(normalize(text))
        if len(segments) < 2:
            return result
        parts = []
        for seg in segments:  # each question in order; one without a subject follows the one before it
            part = self._parse_one(seg.text, today, focus)
            parts.append(Part(seg.start, seg.end, part))
            if part.intent.name == "ask_service" and part.ranking:
                focus = Focus(part.ranking[0].service_id, part.ranking[0].faq_id)
        return replace(result, parts=tuple(parts))

    def _parse_one(self, text: str, today: dt.date, focus: Focus | None) -> ParseResult:
        t0 = time.perf_counter()
        payload = parse_payload(text)
        norm = normalize(text)
        if payload is not None:
            ents = tuple(
                Entity(k, v, payload.entities_span[0], payload.entities_span[1], "payload")
                for k, v in payload.entities.items()
            )
            intent = IntentScore(payload.intent, 1.0)
            return ParseResult(text, norm.text, intent, (intent,), ents, (), payload.intent)
        entities = tuple(self.extractor.extract(norm, today))
        t1 = time.perf_counter()
        if not norm.text.strip():
            # Nothing to understand (empty, emoji only ...): still name the main entries, as the API promises.
            oos = IntentScore("out_of_scope", 1.0)
            return ParseResult(text, norm.text, oos, (oos,), entities, self._default_ranking(), "out_of_scope")
        model_text = self.read_pinyin(norm.text) or norm.text  # what the models see
        qvec = self.encoder.encode_query(model_text[:256])
        t2 = time.perf_counter()
        ranking = self.classifier.predict(model_text[:512], qvec)
        raw = ranking[0].name
        t3 = time.perf_counter()
        hits = tuple(self.retriever.search(model_text[:512], qvec, k=10))
        t4 = time.perf_counter()
        timings = {"entities": t1 - t0, "encode": t2 - t1, "classify": t3 - t2, "retrieve": t4 - t3}
        use = None
        if focus is not None:  # a follow-up without its own subject is ranked within the focused service
            p_oos = next((r.confidence for r in ranking if r.name == "out_of_scope"), 0.0)
            res = self.focus.resolve(model_text, entities, qvec, hits, self.retriever, focus, p_oos)
            hits, use = res.hits, res.use
            timings["focus"] = time.perf_counter() - t4
        intent = self.decide(ranking, max((h.evidence for h in hits), default=0.0), model_text)
        if use is not None and use.applied:
            intent = followup_intent(norm.text, ranking, res.evidence, self.thresholds.fallback) or intent
        t5 = time.perf_counter()
        asked = intent
        licenses = [e.value for e in entities if e.entity == "license_type"]
        hits = self.answerability.prefer_entry_naming_document(model_text, hits, licenses)
        intent, match = self.answerability.decide(model_text, intent, ranking, hits, licenses)
        if use is not None and use.applied and match is not None and asked.name == "ask_service" \
                and match.decision != "answer" and not (match.refusal or match.region or match.referral):
            # A follow-up without its own subject, ranked within the focused service: its first entry answers
            # (alone it would look weak or stray; the focus is its subject).
            intent = asked
            match = Match("answer", f"follow-up on the focused service ({use.reason}); alone: {match.why}",
                          documents=match.documents)
        if intent.name != ranking[0].name or intent.confidence != ranking[0].confidence:
            # The thresholds overrode the classifier: report the decision first, as Rasa does.
            ranking = [intent, *(r for r in ranking if r.name != intent.name)]
        timings["decide"] = time.perf_counter() - t5
        return ParseResult(
            text, model_text, intent, tuple(ranking), entities, hits, raw,
            {k: round(v * 1000, 3) for k, v in timings.items()}, match, use, topic=topics.topic(model_text),
        )

    def read_pinyin(self, text: str) -> str | None:
        """The Chinese reading of a tone-less pinyin message (nlu/pinyin.py), else None."""
        if not looks_like_pinyin(text):
            return None  # (most messages: the index is never built for them)
        with self._pinyin_lock:
            if self._pinyin is None:
                self._pinyin = PinyinIndex(t for item, faq in self.kb.faqs for t in faq_texts(item, faq))
        return self._pinyin.convert(text)

    def _default_ranking(self, k: int = 3) -> tuple[Hit, ...]:
        """The overview FAQs of the items with filings first, then the others, with score 0."""
        items = sorted(self.kb.items.values(), key=lambda i: (i.filing is None, i.id))
        hits = []
        for item in items[:k]:
            faq = next((f for f in item.faqs if f.topic.value == "overview"), item.faqs[0])
            hits.append(Hit(item.id, faq.id, faq.question, 0.0))
        return tuple(hits)

    def decide(self, ranking: list[IntentScore], best_hit: float, text: str = "") -> IntentScore:
        """Apply the thresholds to the classifier's ranking and the best retrieval score (and, given the text,
        tell a yes/no question about the service from a request to start its filing)."""
        th = self.thresholds
        top = ranking[0]
        probs = {r.name: r.confidence for r in ranking}
        if top.name in FILING_INTENTS and (top.confidence < th.filing or (text and asks_whether(text))):
            # Not sure enough to start a filing, or asked about it ("网上能申请吗"): answer about the service.
            top = IntentScore("ask_service", top.confidence + probs.get("ask_service", 0.0))
        if top.name == "out_of_scope" and text and bare_aspect(text):
            # "多少钱", "要多久": a service question without its subject (answered or referred, never refused)
            return IntentScore("ask_service", max(probs.get("ask_service", 0.0), best_hit))
        if top.name == "ask_service" and best_hit < th.retrieval_min:
            return IntentScore("out_of_scope", max(probs.get("out_of_scope", 0.0), 1 - top.confidence))
        if top.name in ("out_of_scope", "ask_service") or top.confidence < th.fallback:
            if best_hit >= th.retrieval_rescue and probs.get("out_of_scope", 0.0) < 0.9:
                return IntentScore("ask_service", max(probs.get("ask_service", 0.0), best_hit))
            if top.confidence < th.fallback:
                return IntentScore("out_of_scope", 1 - top.confidence)
        return top

    # ---- knowledge updates ----------------------------------------------------------------
    def updated(self, kb: KnowledgeBase, changes: Iterable[ItemChange]) -> NluPipeline:
        """A new pipeline over `kb` with the changed FAQs re-indexed (vectors of unchanged texts are kept, the
        classifier and encoder are shared); this pipeline, its index and its parse cache stay as they are."""
        return NluPipeline(kb, self.cfg, self.encoder, self.retriever.updated(kb, changes), self.classifier)


def _single_threaded_helpers() -> None:
    """FAISS and BLAS thread pools spin after each call and steal the encoder's second core; one
    message at a time gains nothing from them (measured: p50 25 ms → 15 ms, docs/benchmarks.md)."""
    import faiss
    from threadpoolctl import threadpool_limits

    faiss.omp_set_num_threads(1)
    threadpool_limits(1, user_api="blas")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


ProgressFactory = Callable[[str, int], Callable[[int], None]]  # (label, total) -> advance(n)


def _training_set(kb: KnowledgeBase, data: Any) -> tuple[list[str], list[str]]:
    """The intent classifier's texts and labels: the NLU examples plus (capped) knowledge questions as ask_service."""
    texts = [fold(e.text) for e in data.examples]
    labels = [e.intent for e in data.examples]
    kb_texts = [t for item, faq in kb.faqs for t in faq_texts(item, faq)[: 2 + len(faq.variants)]]
    if len(kb_texts) > MAX_KB_EXAMPLES:  # a large base would drown the other intents and slow training
        step = len(kb_texts) / MAX_KB_EXAMPLES
        kb_texts = [kb_texts[int(i * step)] for i in range(MAX_KB_EXAMPLES)]
    return texts + kb_texts, labels + ["ask_service"] * len(kb_texts)


def usable_folder(path: Path | None) -> Path | None:
    """`path` where a folder can be: a plain file in its place (a bad copy, a mistyped command) is moved aside to
    `<name>.not-a-folder-<time>` with a warning, so start-up goes on and nothing is lost; None when even that
    fails (then the artefact lives in memory only)."""
    if path is None or not path.exists() or path.is_dir():
        return path
    aside = path.with_name(f"{path.name}.not-a-folder-{time.strftime('%Y%m%d%H%M%S')}")
    try:
        path.rename(aside)
    except OSError as exc:
        log.warning("%s is a file, not a folder, and cannot be moved aside (%s): kept in memory only", path, exc)
        return None
    log.warning("%s was a file, not a folder: moved aside to %s", path, aside)
    return path


def _saved(what: str, save: Callable[[], None]) -> None:
    """Write an artefact; a folder that cannot be written leaves it in memory (served, rebuilt next start)."""
    try:
        save()
    except OSError as exc:
        log.warning("could not save the %s (%s): serving it from memory", what, exc)


def load_pipeline(
    kb: KnowledgeBase, cfg: NluConfig, progress: ProgressFactory | None = None, force_rebuild: bool = False
) -> NluPipeline:
    """Load the index and classifier from disk, rebuilding/retraining whatever is missing or stale."""
    _single_threaded_helpers()
    encoder = CachedEncoder(cfg.encoder.create(), cfg.cache_size)
    cache_dir = usable_folder(cfg.data_dir / "cache" if cfg.data_dir else None)
    vcache = VectorCache(cache_dir, encoder.name, encoder.dim)
    index_dir = usable_folder(cfg.data_dir / "index" if cfg.data_dir else None)
    models_dir = usable_folder(cfg.data_dir / "models" if cfg.data_dir else None)
    retriever = Retriever(kb, encoder, cfg.encoder, cfg.weights)
    data = load_training_data(*cfg.nlu_paths)
    texts, labels = _training_set(kb, data)
    key = _digest(data.digest, kb.content_hash(), encoder.name)
    model_path = models_dir / f"intent-{key}.pkl" if models_dir else None
    classifier = IntentClassifier.load(model_path) if model_path and model_path.exists() else None
    known: dict[str, np.ndarray] = {}

    def encode_into(todo: list[str], bar: Callable[[int], None] | None) -> None:
        if todo:
            known.update(zip(todo, encode_many(encoder.inner, cfg.encoder, todo, workers=cfg.build_workers, progress=bar),
                             strict=True))

    try:
        if index_dir is None or force_rebuild:
            raise IndexMismatch("no index folder" if index_dir is None else "rebuild requested")
        retriever.load(index_dir)
    except (IndexMismatch, FileNotFoundError) as exc:
        log.info("building the index: %s", exc)
        old = retriever
        retriever = Retriever(kb, encoder, cfg.encoder, cfg.weights)
        known = vcache.as_dict()
        if old.index.dim == encoder.dim and len(old.index) and old.manifest().encoder == encoder.name:
            known.update(old.vectors_by_text())
        # Knowledge texts and (when the intent model must be retrained) training examples in one pass:
        # one pool of worker processes, one progress bar.
        kb_texts = {t for item, faq in kb.faqs for t in faq_texts(item, faq)}
        todo = sorted((kb_texts | (set(texts) if classifier is None else set())) - known.keys())
        encode_into(todo, progress("encoding knowledge", len(todo)) if progress else None)  # (and training examples)
        retriever.build(reuse=known)
        vcache.update({t: known[t] for t in kb_texts})  # (not read back out of the index just built)
        vcache.update(retriever.passage_vectors())
        if index_dir is not None:
            _saved("index", lambda: retriever.save(index_dir))
    if classifier is None:
        known.update(vcache.get_many([t for t in texts if t not in known]))
        missing = {t for t in texts if t not in known}
        if missing:  # knowledge questions are training examples too: their vectors are in the index
            in_index = retriever.vectors_by_text()
            known.update({t: in_index[t] for t in missing if t in in_index})
        todo = sorted({t for t in texts if t not in known})
        encode_into(todo, progress("encoding training examples", len(todo)) if progress and todo else None)
        vcache.update({t: known[t] for t in texts})
        classifier = IntentClassifier.train(texts, labels, np.stack([known[t] for t in texts]))
        if model_path is not None:
            trained, path = classifier, model_path

            def save_model() -> None:
                for stale in path.parent.glob("intent-*.pkl"):
                    stale.unlink(missing_ok=True)
                trained.save(path)

            _saved("intent model", save_model)
    _saved("vector cache", vcache.save)
    return NluPipeline(kb, cfg, encoder, retriever, classifier)
