"""Factories for knowledge-base test data: plain YAML dicts, files on disk and KnowledgeBase objects.

Every factory returns a *valid* object by default; tests override one thing to make it broken.

    item = service_dict("demo-item", faqs=[faq_dict("demo-item", "overview", topic="overview")])
    write_item(tmp_path, item)                       # -> tmp_path / "demo-item.yml"
    kb = make_kb(service_dict("a"), service_dict("b"))
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from knowledge import clock
from knowledge.loader import KnowledgeBase
from knowledge.models import ServiceItem

DEFAULT_DATES = {"updated_at": "2025-01-01", "effective_from": "2024-01-01"}


def faq_dict(service_id: str, slug: str = "overview", **overrides: Any) -> dict[str, Any]:
    """A valid FAQ dict with 5 distinct variants; `overrides` replace or add keys."""
    faq: dict[str, Any] = {
        "id": f"{service_id}/{slug}",
        "question": f"{service_id} {slug} 怎么办理？",
        "variants": [f"{service_id} {slug} 问法{i}" for i in range(1, 6)],
        "answer": f"{service_id} {slug} 的回答。",
        "topic": "overview" if slug == "overview" else "other",
        "source": {"kind": "example"},
    }
    faq.update(overrides)
    return faq


def service_dict(item_id: str = "demo-item", **overrides: Any) -> dict[str, Any]:
    """A valid ServiceItem dict (as a YAML file holds it) with one overview FAQ by default."""
    item: dict[str, Any] = {
        "id": item_id,
        "name": f"{item_id} 事项",
        "aliases": [],
        "department": "测试审批局",
        "summary": f"{item_id} 的简介。",
        "applicable_to": "测试对象",
        "conditions": ["条件一"],
        "materials": [{"name": "申请表", "form": "original", "copies": 1}],
        "steps": [{"title": "提交申请"}],
        "time_limit": {"promised_days": 1},
        "fees": "不收费",
        "where": {"zone": "A区", "window": "1号窗口"},
        "hours": "工作日 9:00-17:00",
        "phone": "0532-00000000",
        "faqs": [faq_dict(item_id, "overview")],
        "sources": {g: {"kind": "example"} for g in ("summary", "materials", "steps", "time_limit", "where")},
        **DEFAULT_DATES,
    }
    item.update(overrides)
    return item


def without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """A deep copy of `data` lacking `keys`."""
    out = copy.deepcopy(data)
    for k in keys:
        out.pop(k, None)
    return out


def dump_yaml(data: Any) -> str:
    """YAML text as staff would write it (Chinese kept readable, key order kept)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def write_item(folder: Path, data: dict[str, Any], name: str | None = None) -> Path:
    """Write one item to `folder/<name or id>.yml` (name may carry its own suffix) and return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    fname = name or f"{data['id']}.yml"
    if "." not in fname:
        fname += ".yml"
    path = folder / fname
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


def make_item(data: dict[str, Any] | None = None, **overrides: Any) -> ServiceItem:
    """A validated ServiceItem."""
    return ServiceItem.model_validate(data if data is not None else service_dict(**overrides))


def make_kb(*items: dict[str, Any] | ServiceItem, today: dt.date | None = None) -> KnowledgeBase:
    """A KnowledgeBase of the given items (dicts are validated); items not in force on `today` are skipped."""
    today = today or clock.today()
    valid = [i if isinstance(i, ServiceItem) else ServiceItem.model_validate(i) for i in items]
    return KnowledgeBase(
        items={i.id: i for i in valid if i.is_effective(today)},
        skipped=tuple(i.id for i in valid if not i.is_effective(today)),
    )
