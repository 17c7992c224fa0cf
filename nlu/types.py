"""Typed results of the NLU pipeline; converted to Rasa's wire dicts only by `to_wire`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entity:
    """One entity found in the user's text."""

    entity: str  # entity type, one of API.md's names (license_type, uscc, phone, ...)
    value: Any  # canonical value: a string (license name, ISO date ...); payload JSON values as given
    start: int  # character offset into the ORIGINAL text
    end: int  # end offset (exclusive) into the original text
    extractor: str  # which extractor found it
    confidence: float = 1.0  # 1.0 for rule-based extractors

    def to_wire(self) -> dict[str, Any]:
        """Rasa's entity shape."""
        return {
            "entity": self.entity,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "confidence_entity": round(self.confidence, 4),
            "extractor": self.extractor,
        }


@dataclass(frozen=True)
class IntentScore:
    """An intent with its calibrated confidence."""

    name: str  # one of shared/contract/intents.yml
    confidence: float  # calibrated probability in [0, 1]

    def to_wire(self) -> dict[str, Any]:
        """Rasa's intent shape."""
        return {"name": self.name, "confidence": round(float(self.confidence), 4)}


@dataclass(frozen=True)
class Hit:
    """One knowledge entry ranked for a message."""

    service_id: str  # the service item's id (services.yml)
    faq_id: str  # the FAQ's stable id
    question: str  # the FAQ's canonical question
    score: float  # ranking score in [0, 1]: (evidence + boost) / (1 + the configured cue boost)
    dense: float = 0.0  # cosine similarity of the best matching indexed text
    lexical: float = 0.0  # normalised lexical (BM25) score
    matched: str = ""  # the indexed text that matched best
    boost: float = 0.0  # cue-word boost added for ranking (0 when the item's cues are absent)
    evidence: float = 0.0  # fused similarity alone, in [0, 1], without cue boosts: what thresholds use

    def to_wire(self) -> dict[str, Any]:
        """API.md's ranking entry."""
        return {
            "service_id": self.service_id,
            "faq_id": self.faq_id,
            "question": self.question,
            "score": round(float(self.score), 4),
            "channels": {"dense": round(float(self.dense), 4), "lexical": round(float(self.lexical), 4)},
        }

    def rank_key(self) -> tuple[float, float, float, float, str]:
        """Best first; ties (entries of one service all capped at the same score) broken by the evidence, then the
        closer text, then the id — never by set or hash order, which differs from one process to the next."""
        return (-self.score, -self.evidence, -self.dense, -self.lexical, self.faq_id)


@dataclass(frozen=True)
class Match:
    """The answerability decision for a message (nlu/answerability.py): API.md's `retrieval.match`, and why."""

    decision: str  # "answer" (the first ranked entry answers it), "clarify" (ask which of `candidates`) or "none"
    why: str  # a short reason for staff (the hit test) and logs
    candidates: tuple[str, ...] = ()  # FAQ ids to offer when clarifying, best first
    referral: str | None = None  # a matter of the referral directory the message names and the base lacks
    region: str | None = None  # another region whose office the message is about
    refusal: str | None = None  # insult / injection / personal_data / illegal: refused, not searched
    documents: tuple[str, ...] = ()  # personal documents named (directory matters the loss notice does not accept)
    stray: bool = False  # nothing of ours is close and the classifier leans out of scope: a general-assistant request
    about: str | None = None  # a `none` still about one service (an aspect its entries lack): the topic to keep

    def to_wire(self) -> dict[str, Any]:
        """The extra `retrieval` keys; `match` is the contract's."""
        out: dict[str, Any] = {"match": self.decision, "why": self.why}
        if self.candidates:
            out["candidates"] = list(self.candidates)
        for key in ("referral", "region", "refusal", "about"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.documents:
            out["documents"] = list(self.documents)
        return out


@dataclass(frozen=True)
class Focus:
    """The conversation's topic in focus: the service (and FAQ) the latest answer was about (nlu/focus.py)."""

    service_id: str
    faq_id: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return {"service_id": self.service_id, "faq_id": self.faq_id}


@dataclass(frozen=True)
class FocusUse:
    """What a parse did with the focus it was given."""

    focus: Focus
    applied: bool  # the message was ranked within a service because of the focus
    reason: str  # why (or why not), for the hit test: "follow-up", "names its own subject" ...
    service_id: str | None = None  # the service it was ranked within (the focus's, or a newly named one)

    def to_wire(self) -> dict[str, Any]:
        return {**self.focus.to_wire(), "applied": self.applied, "reason": self.reason,
                "resolved_service_id": self.service_id}


@dataclass(frozen=True)
class Part:
    """One question of a message that asks several (nlu/segment.py), with its own parse."""

    start: int  # offsets into the message's original text
    end: int
    parse: ParseResult

    def to_wire(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, **self.parse.to_wire()}


@dataclass(frozen=True)
class ParseResult:
    """Everything the NLU knows about one message."""

    text: str  # the original text
    normalized: str  # the normalised text the models saw
    intent: IntentScore  # the chosen intent (after thresholds)
    intent_ranking: tuple[IntentScore, ...]  # all intents, best first (classifier's view)
    entities: tuple[Entity, ...]  # entities, offsets into `text`
    ranking: tuple[Hit, ...]  # knowledge entries, best first
    raw_intent: str = ""  # the classifier's top intent before thresholds
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)  # per stage, for the hit test
    match: Match | None = None  # the answerability decision (None for payloads and empty messages)
    focus: FocusUse | None = None  # the focus the message was parsed with, and what it did
    parts: tuple[Part, ...] = ()  # the questions of a message that asks several (two or three), in order
    topic: str = ""  # which own record a question is about (nlu/topics.py: "validation_due"); not on the wire

    def to_wire(self) -> dict[str, Any]:
        """The JSON of POST /model/parse."""
        wire: dict[str, Any] = {
            "text": self.text,
            "intent": self.intent.to_wire(),
            "intent_ranking": [i.to_wire() for i in self.intent_ranking],
            "entities": [e.to_wire() for e in self.entities],
            "retrieval": {"ranking": [h.to_wire() for h in self.ranking], **(self.match.to_wire() if self.match else {})},
        }
        if self.focus is not None:
            wire["retrieval"]["focus"] = self.focus.to_wire()
        if self.parts:
            wire["parts"] = [p.to_wire() for p in self.parts]
        return wire

    def entity_values(self, name: str) -> list[str]:
        """Values of one entity type, in text order."""
        return [e.value for e in self.entities if e.entity == name]
