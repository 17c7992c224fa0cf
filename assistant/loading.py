"""Loading the knowledge in force, for the app's start-up and the CLI, from one Settings object.

The live knowledge base is the knowledge store's published versions on the app's database (seeded from the
YAML folder when empty, and taking in YAML files changed since, unless staff edited the item); the NLU
pipeline is loaded from the data folder, or built where missing or stale. `load_snapshot` is the app's
default knowledge factory (assistant/services.py).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

from assistant.settings import Settings
from knowledge.errors import KnowledgeValidationError
from knowledge.loader import KnowledgeBase
from knowledge.store import PUBLISHED, SqlKnowledgeStore
from knowledge.versions import build_kb, dump_model, normalise_text, parse_folder, read_folder
from nlu.embeddings import EncoderSpec
from nlu.live import KnowledgeSnapshot
from nlu.pipeline import NluConfig, NluPipeline, load_pipeline
from nlu.training_data import DEFAULT_NLU

log = logging.getLogger(__name__)
YAML_SYNC = "yaml-sync"
FILE_AUTHORS = ("seed", YAML_SYNC)  # versions that came from the YAML folder, not from a staff member


# ---- the knowledge store ------------------------------------------------------------------------------------
def open_store(settings: Settings) -> SqlKnowledgeStore:
    """The knowledge store on the app's database, migrated and seeded from the YAML folder when empty."""
    store = SqlKnowledgeStore(settings.db_url)
    store.migrate()
    if store.is_empty():
        n = store.seed(read_folder(settings.knowledge_dir), author="seed")
        log.info("knowledge store seeded with %d items from %s", n, settings.knowledge_dir or "the demo base")
    else:
        sync_from_folder(store, settings)
    return store


def sync_from_folder(store: SqlKnowledgeStore, settings: Settings) -> list[str]:
    """Publish YAML files changed since they were last imported, unless staff have edited the item since.

    The database is the live base once seeded; this keeps a developer's edits to knowledge/data/*.yml
    flowing in, while an item a staff member changed in /admin is never overwritten from a file.
    """
    try:
        files = read_folder(settings.knowledge_dir)
    except (KnowledgeValidationError, OSError) as exc:
        log.warning("knowledge folder not synced: %s", exc)
        return []
    latest = store.latest_all()
    changed = []
    for item_id, text in sorted(files.items()):
        current = latest.get(item_id)
        if current is not None and normalise_text(text) == current.text:
            continue
        if current is not None and current.author not in FILE_AUTHORS:
            log.info("knowledge item %s edited by staff (%s); its YAML file is not re-imported", item_id, current.author)
            continue
        store.add_version(item_id, text, PUBLISHED, author=YAML_SYNC, note="YAML 文件更新")
        changed.append(item_id)
    if changed:
        log.info("knowledge items re-imported from their YAML files: %s", ", ".join(changed))
    return changed


def load_live_kb(settings: Settings) -> tuple[KnowledgeBase, int]:
    """The live knowledge base (the store's published versions) and the store generation it reflects."""
    store = open_store(settings)
    try:
        generation = store.generation()
        return build_kb(store.live_texts()), generation
    finally:
        store.close()


def seed_texts(kb: KnowledgeBase, settings: Settings) -> dict[str, str]:
    """Texts to seed an empty store with a base loaded elsewhere: the YAML files where they say the same as the
    base, else the items dumped."""
    try:
        files = parse_folder(settings.knowledge_dir)
    except (KnowledgeValidationError, OSError):
        files = {}
    texts: dict[str, str] = {}
    for item_id, item in kb.items.items():
        text, parsed = files.get(item_id, ("", None))
        texts[item_id] = text if parsed == item else dump_model(item)
    for item_id in kb.skipped:
        if item_id in files:
            texts[item_id] = files[item_id][0]
    return texts


# ---- the NLU pipeline -----------------------------------------------------------------------------------------
def encoder_spec(settings: Settings, workers: int = 1) -> EncoderSpec:
    """Encoder threads: the configured count, else one per worker process.

    One thread is the fastest here (docs/benchmarks.md, section 2: p50 11 ms with 1 thread, 22 ms with 2 and
    passive OpenMP waiting, which a server needs so idle threads don't spin) and leaves the other core to the
    event loop and the other workers."""
    threads = settings.encoder_threads or 1
    path = str(settings.encoder_model_path) if settings.encoder_model_path else None
    return EncoderSpec(settings.encoder, path, threads)


def nlu_config(settings: Settings, workers: int = 1) -> NluConfig:
    """Pipeline configuration from the settings."""
    return NluConfig(
        data_dir=settings.data_dir,
        encoder=encoder_spec(settings, workers),
        nlu_paths=(settings.nlu_data or DEFAULT_NLU,),
        cache_size=settings.query_cache_size,
        build_workers=max(1, min(2, os.cpu_count() or 1)),
        knowledge_dir=settings.knowledge_dir,
    )


def progress_bar(total: int, label: str) -> Callable[[int], None]:
    """A tqdm progress bar on stderr, advanced by the returned callback."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=label, unit="text", file=sys.stderr, leave=False)
    return bar.update


def build_pipeline(settings: Settings, kb: KnowledgeBase | None = None, force: bool = False,
                   show_progress: bool = False, workers: int = 1) -> NluPipeline:
    """Load (or build) the NLU pipeline for the settings, over `kb` (default: the live knowledge base)."""
    kb = kb or load_live_kb(settings)[0]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    progress = (lambda label, total: progress_bar(total, label)) if show_progress else None
    return load_pipeline(kb, nlu_config(settings, workers), progress=progress, force_rebuild=force)


def load_snapshot(settings: Settings) -> KnowledgeSnapshot:
    """The live knowledge base and the NLU pipeline over it, at the store generation they reflect."""
    kb, generation = load_live_kb(settings)
    return KnowledgeSnapshot(kb, build_pipeline(settings, kb), generation)
