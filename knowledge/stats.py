"""Figures about the knowledge base, and its export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from knowledge.loader import KnowledgeBase
from knowledge.models import FACT_GROUPS, SourceKind
from knowledge.provenance import PendingContent, pending_content


@dataclass(frozen=True)
class KbStats:
    """What `lingling kb stats` prints."""

    services: int  # service items in force
    faqs: int  # FAQs in all
    variants: int  # variants in all
    example_groups: int  # fact groups marked `example`
    example_faqs: int  # FAQs marked `example`
    fact_groups: int  # fact groups with a source
    per_service: dict[str, tuple[int, int]]  # id -> (faqs, variants)
    skipped: tuple[str, ...]  # expired or not yet effective ids
    pending: tuple[PendingContent, ...] = ()  # what still needs real content (marked example), per item

    def lines(self) -> list[str]:
        """Human-readable report."""
        out = [
            f"services: {self.services}",
            f"faqs: {self.faqs}",
            f"variants: {self.variants}",
            f"marked example: {self.example_groups}/{self.fact_groups} fact groups, "
            f"{self.example_faqs}/{self.faqs} faqs",
        ]
        if self.skipped:
            out.append(f"skipped (not in force): {', '.join(self.skipped)}")
        out.append("per service (faqs, variants):")
        out += [f"  {sid}: {f}, {v}" for sid, (f, v) in sorted(self.per_service.items())]
        if self.pending:
            out.append("needs real content (marked example; citizens are told it is being confirmed):")
            for p in self.pending:
                groups = ", ".join(p.groups) or "-"
                out.append(f"  {p.item_id}: fact groups {groups}; {len(p.faqs)} faqs"
                           + (f" ({', '.join(p.faqs)})" if p.faqs else ""))
        return out


def kb_stats(kb: KnowledgeBase) -> KbStats:
    """Count services, FAQs, variants and example-marked content."""
    faqs = [f for _, f in kb.faqs]
    groups = [s for item in kb.items.values() for g, s in item.sources.items() if g in FACT_GROUPS]
    return KbStats(
        services=len(kb.items),
        faqs=len(faqs),
        variants=sum(len(f.variants) for f in faqs),
        example_groups=sum(1 for s in groups if s.kind is SourceKind.EXAMPLE),
        example_faqs=sum(1 for f in faqs if f.source.kind is SourceKind.EXAMPLE),
        fact_groups=len(groups),
        per_service={i.id: (len(i.faqs), sum(len(f.variants) for f in i.faqs)) for i in kb.items.values()},
        skipped=kb.skipped,
        pending=tuple(pending_content(kb)),
    )


def export_yaml(kb: KnowledgeBase) -> str:
    """The whole base as one YAML stream (one document per item)."""
    docs: list[dict[str, Any]] = [item.model_dump(mode="json", exclude_none=True) for item in kb.items.values()]
    return yaml.safe_dump_all(docs, allow_unicode=True, sort_keys=False)
