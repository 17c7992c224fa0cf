"""The knowledge in force: an immutable snapshot (knowledge base + NLU pipeline + store generation) that every
change replaces as a whole.

Readers take `live.current` once and use that snapshot for the whole request: nothing in a snapshot is ever
changed. A publish builds the next snapshot beside the current one — the index copied and the changed FAQs
re-indexed in the copy (`NluPipeline.updated`), an answer-only change sharing the index — and swaps it in with
one assignment. So a parse never sees half a publish, no FAISS index is written while it is searched, and a
parse started before a publish can only fill the old pipeline's cache. `LiveKnowledge` is the only place that
swaps; writers (publishes, `sync` with the knowledge store) take its lock.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from knowledge.clock import Clock, system_clock
from knowledge.clock import today as clock_today
from knowledge.loader import KnowledgeBase
from knowledge.models import ServiceItem
from knowledge.polling import Poller
from knowledge.store import PUBLISHED, KnowledgeStore
from knowledge.versions import check_text
from nlu.pipeline import NluPipeline
from nlu.retrieval import FaqChanges, faq_changes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KnowledgeSnapshot:
    """One consistent state of the knowledge: never changed, only replaced."""

    kb: KnowledgeBase
    nlu: NluPipeline
    generation: int = -1  # the knowledge store's generation it reflects; -1: not loaded from the store
    revision: int = 0  # bumped by every change applied in this process (caches of live answers key on it)


class LiveKnowledge:
    """Holds the current snapshot; applies item changes and follows a knowledge store's published versions."""

    def __init__(self, snapshot: KnowledgeSnapshot, store: KnowledgeStore | None = None, clock: Clock = system_clock):
        self._current = snapshot
        self.store = store
        self.clock = clock
        self.lock = threading.RLock()  # serialises writers; readers never wait
        self._poller = Poller(self.sync, "knowledge-sync")

    @property
    def current(self) -> KnowledgeSnapshot:
        """The snapshot in force (read it once per request)."""
        return self._current

    def kb(self) -> KnowledgeBase:
        """The knowledge base in force (what the actions read)."""
        return self._current.kb

    def service_ranking(self, text: str) -> list[dict[str, Any]]:
        """The knowledge ranking of `text` (wire dicts) when the engine reads it as a service question, else [];
        for actions whose parse came without `retrieval` (actions.common.Understand)."""
        parsed = self.current.nlu.parse(text, today=clock_today(self.clock))
        if parsed.intent.name != "ask_service":
            return []
        return [h.to_wire() for h in parsed.ranking]

    def _swap(self, snapshot: KnowledgeSnapshot) -> None:
        self._current = snapshot

    # ---- changes ---------------------------------------------------------------------------------------
    def apply(self, items: Mapping[str, ServiceItem | None]) -> dict[str, FaqChanges]:
        """Make each `items[id]` (None = retired) the live version of that item, in one new snapshot.

        Items not in force today count as retired. Returns what changed per item (unchanged items left out)."""
        with self.lock:
            snap = self._current
            today = clock_today(self.clock)
            live = dict(snap.kb.items)
            plan: dict[str, tuple[ServiceItem | None, FaqChanges]] = {}
            for item_id, item in items.items():
                if item is not None and not item.is_effective(today):
                    item = None
                old = live.get(item_id)
                if old == item:
                    continue
                plan[item_id] = (item, faq_changes(old, item))
                if item is None:
                    live.pop(item_id, None)
                else:
                    live[item_id] = item
            if not plan:
                return {}
            kb = dataclasses.replace(snap.kb, items=live)
            nlu = snap.nlu.updated(kb, plan.values())
            self._swap(dataclasses.replace(snap, kb=kb, nlu=nlu, revision=snap.revision + 1))
            for item_id, (_, changes) in plan.items():
                log.info("knowledge %s applied: %d faqs indexed, %d removed", item_id, len(changes.upserts),
                         len(changes.removes))
            return {item_id: changes for item_id, (_, changes) in plan.items()}

    def apply_item(self, item_id: str, item: ServiceItem | None) -> FaqChanges | None:
        """`apply` for one item; None when the live version was already that one."""
        return self.apply({item_id: item}).get(item_id)

    def adopt_generation(self, generation: int) -> None:
        """The current snapshot is the store's state at `generation` (after seeding an empty store with it)."""
        with self.lock:
            self._swap(dataclasses.replace(self._current, generation=generation))

    # ---- the knowledge store -----------------------------------------------------------------------------
    def sync(self) -> int:
        """Apply every version published since the snapshot's generation; the number of items changed."""
        if self.store is None:
            return 0
        with self.lock:
            gen = self.store.generation()
            snap = self._current
            if gen == snap.generation:
                return 0
            full = snap.generation < 0
            versions = self.store.latest_all() if full else self.store.changes_since(snap.generation)
            items = {item_id: check_text(item_id, v.text) if v.status == PUBLISHED else None
                     for item_id, v in sorted(versions.items())}
            if full:  # the store is authoritative: items it does not know are not live
                items.update({item_id: None for item_id in snap.kb.items if item_id not in versions})
            done = len(self.apply(items))
            self.adopt_generation(gen)
            return done

    def start_polling(self, interval: float = 1.0) -> None:
        """Check the store every `interval` seconds (publishes made by other processes)."""
        self._poller.start(interval)

    def stop(self) -> None:
        self._poller.stop()
