"""The standalone action server's knowledge base follows staff publishes.

Inside the web app the engine applies publishes (assistant/staff/live.py). `lingling actions` runs without the
web app, so it reads the live knowledge base from the same database — the published versions of the knowledge
store, or the YAML folder while the store is empty — and checks the store's generation every `interval`
seconds; on a change the `KnowledgeBase` object the actions hold is updated in place.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from knowledge.loader import KnowledgeBase, load_knowledge
from knowledge.store import SqlKnowledgeStore
from knowledge.versions import build_kb

log = logging.getLogger(__name__)


class KnowledgeFollower:
    """Keeps one `KnowledgeBase` object equal to the store's live versions."""

    def __init__(self, db_url: str, knowledge_dir: Path | None = None):
        self.store = SqlKnowledgeStore(db_url)
        self.store.migrate()  # the same tables the web app creates; idempotent
        self.knowledge_dir = knowledge_dir
        self.generation = -1
        self.kb = self._read()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _read(self) -> KnowledgeBase:
        """The live base: the store's published versions, or the YAML folder when the store has none."""
        generation = self.store.generation()
        texts = self.store.live_texts() if generation else {}
        self.generation = generation
        return build_kb(texts) if texts else load_knowledge(self.knowledge_dir)

    def sync(self) -> bool:
        """Apply a publish made since the last look; True when the knowledge base changed."""
        if self.store.generation() == self.generation:
            return False
        fresh = self._read()
        self.kb.items.clear()
        self.kb.items.update(fresh.items)
        log.info("action server: knowledge base updated to generation %d (%d items)", self.generation, len(fresh.items))
        return True

    def start(self, interval: float = 1.0) -> None:
        """Check every `interval` seconds in a daemon thread."""
        if self._thread is not None:
            return

        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.sync()
                except Exception:  # noqa: BLE001 - the database may be briefly away; keep the last base
                    log.exception("action server: knowledge sync failed")

        self._thread = threading.Thread(target=run, name="actions-knowledge-sync", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.store.close()
