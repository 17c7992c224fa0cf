"""Builds the engine objects the web faces and the CLI share, from one Settings object."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from assistant.settings import Settings
from knowledge.loader import KnowledgeBase, load_knowledge
from nlu.embeddings import EncoderSpec
from nlu.pipeline import NluConfig, NluPipeline, load_pipeline
from nlu.training_data import DEFAULT_NLU


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
    )


def load_kb(settings: Settings) -> KnowledgeBase:
    """The live knowledge base, as the server loads it: the knowledge store's published versions (seeded
    from, and synced with, the YAML folder); the YAML folder alone when the store cannot be opened."""
    try:
        from assistant.staff.services import load_live_kb
    except ImportError:  # pragma: no cover - the staff console is part of the package
        return load_knowledge(settings.knowledge_dir)
    return load_live_kb(settings)[0]


def progress_bar(total: int, label: str) -> Callable[[int], None]:
    """A tqdm progress bar on stderr, advanced by the returned callback."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=label, unit="text", file=sys.stderr, leave=False)
    return bar.update


def build_pipeline(settings: Settings, kb: KnowledgeBase | None = None, force: bool = False,
                   show_progress: bool = False, workers: int = 1) -> NluPipeline:
    """Load (or build) the NLU pipeline for the settings."""
    kb = kb or load_kb(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    progress = (lambda label, total: progress_bar(total, label)) if show_progress else None
    return load_pipeline(kb, nlu_config(settings, workers), progress=progress, force_rebuild=force)
