"""What of the knowledge base is still an `example` (invented to make the demo complete) and must not be shown
to citizens as fact: the fact groups and FAQs staff still have to replace with real content.

The answer cards leave such facts out and say they are being confirmed (actions/faq.py); `lingling kb stats`
and the staff console's 待补充 page list them (knowledge/stats.py, assistant/staff/routes/knowledge.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.loader import KnowledgeBase
from knowledge.models import FACT_GROUPS, ServiceItem, SourceKind

# How the fact groups are called on cards and in the staff console.
GROUP_LABELS = {
    "summary": "事项简介",
    "conditions": "办理条件",
    "materials": "申请材料",
    "steps": "办理流程",
    "time_limit": "办理时限",
    "fees": "收费标准",
    "where": "办理地点",
    "online_entry": "网上办理入口",
    "hours": "办公时间",
    "phone": "咨询电话",
}


def example_groups(item: ServiceItem) -> tuple[str, ...]:
    """The item's fact groups marked `example`, in FACT_GROUPS order."""
    return tuple(g for g in FACT_GROUPS if (s := item.sources.get(g)) is not None and s.kind is SourceKind.EXAMPLE)


@dataclass(frozen=True)
class PendingContent:
    """One service item's content that still needs real facts."""

    item_id: str
    name: str
    groups: tuple[str, ...]  # fact groups marked example
    faqs: tuple[str, ...]  # ids of the FAQs marked example

    @property
    def group_labels(self) -> tuple[str, ...]:
        """The groups as staff read them (申请材料, 办理地点 ...)."""
        return tuple(GROUP_LABELS.get(g, g) for g in self.groups)


def pending_content(kb: KnowledgeBase) -> list[PendingContent]:
    """Every item with content marked example (groups or FAQs), in id order."""
    out = []
    for item_id in sorted(kb.items):
        item = kb.items[item_id]
        faqs = tuple(f.id for f in item.faqs if f.source.kind is SourceKind.EXAMPLE)
        groups = example_groups(item)
        if groups or faqs:
            out.append(PendingContent(item.id, item.name, groups, faqs))
    return out
