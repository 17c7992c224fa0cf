"""Keeps the running engine (knowledge base + NLU index) in step with the store's published versions.

The engine's `KnowledgeBase` object is updated in place (its `items` dict), so every holder of the
object — the NLU pipeline, the actions' dependencies, the pages — sees a publish at once. The index is
updated FAQ by FAQ (`NluPipeline.upsert_faq` / `remove_faq`) for exactly the FAQs whose indexed texts
changed; an answer-only change needs no index work. `Engine.publish_listeners` are called afterwards.
Other worker processes pick publishes up by polling the store's generation (`start_polling`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.container import Engine
from knowledge.models import Faq, FaqTopic, ServiceItem
from knowledge.polling import Poller
from knowledge.store import PUBLISHED, KnowledgeStore
from knowledge.versions import check_text
from nlu.retrieval import faq_texts

log = logging.getLogger(__name__)
GENERATION_KEY = "knowledge_generation"  # engine.extras: the store generation the engine was loaded at


def overview(item: ServiceItem) -> Faq:
    """The FAQ that carries the service-level texts in the index."""
    return next((f for f in item.faqs if f.topic is FaqTopic.OVERVIEW), item.faqs[0])


@dataclass(frozen=True)
class FaqChanges:
    """What an item change means for the index."""

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


class LiveKnowledge:
    """Applies published item versions to the engine; one lock serialises every change."""

    def __init__(self, engine: Engine, store: KnowledgeStore, today: Callable[[], dt.date] = dt.date.today):
        self.engine = engine
        self.store = store
        self.today = today
        self.lock = threading.RLock()
        self.generation: int = int(engine.extras.get(GENERATION_KEY, -1))
        self.revision = 0  # bumped by every applied change (caches of the live answers key on it)
        self._poller = Poller(self.sync, "knowledge-sync")

    def apply_item(self, item_id: str, item: ServiceItem | None) -> FaqChanges | None:
        """Make `item` (None = retired) the live version of `item_id`: knowledge base, index, listeners.

        Returns None when the live version was already that one."""
        with self.lock:
            kb = self.engine.kb
            if item is not None and not item.is_effective(self.today()):
                item = None
            old = kb.items.get(item_id)
            if old == item:
                return None
            changes = faq_changes(old, item)
            if item is None:
                kb.items.pop(item_id, None)
            else:
                kb.items[item_id] = item
            pipe = self.engine.nlu
            for faq_id in changes.removes:
                pipe.remove_faq(kb, faq_id)
            for faq in changes.upserts:
                assert item is not None
                pipe.upsert_faq(kb, item, faq)
            if changes.cues_changed and item is not None and not changes.upserts:
                pipe.upsert_faq(kb, item, overview(item))  # recompiles the cue patterns
            self.revision += 1
            log.info("knowledge %s applied: %d faqs indexed, %d removed", item_id, len(changes.upserts),
                     len(changes.removes))
            for listener in list(self.engine.publish_listeners):
                try:
                    listener(kb, item_id)
                except Exception:  # a listener must not undo a publish
                    log.exception("publish listener failed for %s", item_id)
            return changes

    def sync(self) -> int:
        """Apply every version newer than the generation applied here; the number of items changed."""
        with self.lock:
            gen = self.store.generation()
            if gen == self.generation:
                return 0
            full = self.generation < 0
            changes = self.store.latest_all() if full else self.store.changes_since(self.generation)
            done = 0
            for item_id, version in sorted(changes.items()):
                item = check_text(item_id, version.text) if version.status == PUBLISHED else None
                if self.apply_item(item_id, item) is not None:
                    done += 1
            if full:  # the store is authoritative: items it does not know are not live
                for item_id in [i for i in self.engine.kb.items if i not in changes]:
                    self.apply_item(item_id, None)
                    done += 1
            self.generation = gen
            return done

    # ---- other workers' publishes ------------------------------------------------------------------------
    def start_polling(self, interval: float = 1.0) -> None:
        """Check the store every `interval` seconds (publishes made by other processes)."""
        self._poller.start(interval)

    def stop(self) -> None:
        self._poller.stop()
