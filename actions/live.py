"""The standalone action server's knowledge base follows staff publishes.

Inside the web app the live knowledge (nlu/live.py) applies publishes. `lingling actions` runs without the
web app, so it reads the live knowledge base from the same database — the published versions of the
knowledge store, or the YAML folder while the store is empty — and checks the store's generation every
`interval` seconds. A change builds a new `KnowledgeBase` and swaps it in whole: an action reads either the
old base or the new one, never one half emptied; the generation it reflects is recorded only once it is built, so
a base that fails to build is tried again at the next look (the old one keeps serving meanwhile).
"""

from __future__ import annotations

import logging
from pathlib import Path

from knowledge.loader import KnowledgeBase, load_knowledge
from knowledge.polling import Poller
from knowledge.store import SqlKnowledgeStore
from knowledge.versions import build_kb

log = logging.getLogger(__name__)


class KnowledgeFollower:
    """The knowledge base equal to the store's live versions; `kb()` is the one in force now."""

    def __init__(self, db_url: str, knowledge_dir: Path | None = None):
        self.store = SqlKnowledgeStore(db_url)  # its tables are upgraded by the start-up (actions/serve.py)
        self.knowledge_dir = knowledge_dir
        self._state = self._read()  # (generation, knowledge base): replaced as one
        self._poller = Poller(self.sync, "actions-knowledge-sync")

    @property
    def generation(self) -> int:
        """The store generation the knowledge base in force reflects."""
        return self._state[0]

    def kb(self) -> KnowledgeBase:
        """The knowledge base in force (read it once per action)."""
        return self._state[1]

    def _read(self) -> tuple[int, KnowledgeBase]:
        """The live base with its generation: the store's published versions, or the YAML folder when the store
        has none."""
        generation = self.store.generation()
        texts = self.store.live_texts() if generation else {}
        return generation, (build_kb(texts) if texts else load_knowledge(self.knowledge_dir))

    def sync(self) -> bool:
        """Apply a publish made since the last look; True when the knowledge base changed. A base that cannot
        be built raises (the poller logs it) and is tried again next time."""
        if self.store.generation() == self.generation:
            return False
        self._state = fresh = self._read()
        log.info("action server: knowledge base updated to generation %d (%d items)", fresh[0], len(fresh[1].items))
        return True

    def start(self, interval: float = 1.0) -> None:
        """Check every `interval` seconds in a daemon thread."""
        self._poller.start(interval)

    def close(self) -> None:
        self._poller.stop()
        self.store.close()
