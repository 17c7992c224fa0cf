"""The engine objects one app instance holds; built once at start-up, never at import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.settings import Settings
from knowledge.loader import KnowledgeBase
from nlu.pipeline import NluPipeline


@dataclass
class Engine:
    """Everything the routes need."""

    settings: Settings  # the configuration in force
    kb: KnowledgeBase  # the knowledge base in force
    nlu: NluPipeline  # the parser
    extras: dict[str, Any] = field(default_factory=dict)  # later parts (dialogue, filings, actions)
    # Called as listener(kb, item_id) after a staff publish changed `kb` (updated in place) and the index.
    publish_listeners: list[Callable[[KnowledgeBase, str], None]] = field(default_factory=list)
