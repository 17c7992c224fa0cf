"""Load and validate the YAML knowledge base: every error names the file, the field and the fix."""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge import clock, yamlsafe
from knowledge.errors import KnowledgeError, KnowledgeValidationError, LoadProblem
from knowledge.models import Faq, NamedKind, ServiceItem


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml when available (~10x faster); dates stay strings so pydantic reports bad ones by field."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LOADER = _Loader

DEFAULT_DATA_DIR = Path(__file__).parent / "data"

_FIXES = {
    "missing": "add this field",
    "extra_forbidden": "remove this key (or check its spelling)",
    "too_short": "add more entries",
    "string_too_short": "write a non-empty text",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "date_type": "write the date as YYYY-MM-DD",
    "enum": "use one of the allowed values",
    "int_parsing": "write a whole number",
}


def _loc(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(file)"


def _problems(path: Path, exc: ValidationError, raw: Any) -> list[LoadProblem]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        fix = _FIXES.get(err["type"], "correct the value")
        msg = err["msg"].removeprefix("Value error, ")
        # Name the FAQ by its id, which staff recognise, rather than by list index alone.
        if len(loc) >= 2 and loc[0] == "faqs" and isinstance(loc[1], int) and isinstance(raw, dict):
            faqs = raw.get("faqs") or []
            if loc[1] < len(faqs) and isinstance(faqs[loc[1]], dict) and faqs[loc[1]].get("id"):
                msg = f"{msg} (faq {faqs[loc[1]]['id']})"
        problems.append(LoadProblem(file=str(path), field=_loc(loc), message=msg, fix=fix))
    return problems


@dataclass(frozen=True)
class KnowledgeBase:
    """The validated, in-force service items, indexed by id. Never changed: `items` is a read-only view of a
    private copy (the items themselves are frozen models); a change is a new KnowledgeBase."""

    items: Mapping[str, ServiceItem]
    skipped: tuple[str, ...] = field(default=())  # ids skipped as expired / not yet effective

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", MappingProxyType(dict(self.items)))

    @property
    def faqs(self) -> list[tuple[ServiceItem, Faq]]:
        """Every FAQ with its service item, in a stable order."""
        return [(item, faq) for item in self.items.values() for faq in item.faqs]

    def faq(self, faq_id: str) -> tuple[ServiceItem, Faq] | None:
        """Look a FAQ up by id."""
        item = self.items.get(faq_id.split("/", 1)[0])
        if item is None:
            return None
        return next(((item, f) for f in item.faqs if f.id == faq_id), None)

    def license_types(self) -> list[NamedKind]:
        """License kinds the lost-notice service covers."""
        return [k for item in self.items.values() for k in item.license_types]

    def validation_items(self) -> list[NamedKind]:
        """The items of the medical-institution validation."""
        return [k for item in self.items.values() for k in item.validation_items]

    def content_hash(self) -> str:
        """A hash of the whole content, for index manifests."""
        h = hashlib.sha256()
        for item_id in sorted(self.items):
            h.update(self.items[item_id].model_dump_json().encode())
        return h.hexdigest()[:16]


def parse_item(path: Path, text: str) -> ServiceItem:
    """Validate one YAML document; raises KnowledgeValidationError with every problem."""
    try:
        raw = yamlsafe.load(text, _LOADER)  # size and alias limits (knowledge/yamlsafe.py)
    except yamlsafe.YamlRefused as exc:
        raise KnowledgeValidationError([LoadProblem(str(path), "(file)", exc.problem, exc.fix)]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise KnowledgeValidationError(
            [LoadProblem(str(path), where, f"not valid YAML: {exc}", "fix the YAML syntax")]
        ) from exc
    if not isinstance(raw, dict):
        raise KnowledgeValidationError(
            [LoadProblem(str(path), "(file)", "top level is not a mapping", "start with 'id: ...'")]
        )
    try:
        item = ServiceItem.model_validate(raw)
    except ValidationError as exc:
        raise KnowledgeValidationError(_problems(path, exc, raw)) from exc
    if path.suffix in (".yml", ".yaml") and path.stem != item.id:
        raise KnowledgeValidationError(
            [LoadProblem(str(path), "id", f"id {item.id!r} differs from the file name", f"rename to {item.id}.yml")]
        )
    return item


def load_knowledge(data_dir: Path | None = None, today: dt.date | None = None) -> KnowledgeBase:
    """Load every `*.yml` under data_dir; raise one error listing all problems found."""
    data_dir = data_dir or DEFAULT_DATA_DIR
    today = today or clock.today()
    if not data_dir.is_dir():
        raise KnowledgeError(f"knowledge folder {data_dir} does not exist")
    problems: list[LoadProblem] = []
    items: dict[str, ServiceItem] = {}
    where_faq: dict[str, Path] = {}
    where_item: dict[str, Path] = {}
    skipped: list[str] = []
    for path in sorted(data_dir.glob("*.y*ml")):
        try:
            item = parse_item(path, path.read_text(encoding="utf-8"))
        except KnowledgeValidationError as exc:
            problems.extend(exc.problems)
            continue
        if item.id in where_item:
            problems.append(
                LoadProblem(str(path), "id", f"duplicate id {item.id!r} (also in {where_item[item.id]})", "use one id per item")
            )
            continue
        where_item[item.id] = path
        for faq in item.faqs:
            if faq.id in where_faq:
                problems.append(
                    LoadProblem(str(path), "faqs.id", f"duplicate faq id {faq.id!r}", "give each FAQ its own id")
                )
            where_faq[faq.id] = path
        if not item.is_effective(today):
            skipped.append(item.id)
            continue
        items[item.id] = item
    if problems:
        raise KnowledgeValidationError(problems)
    return KnowledgeBase(items=items, skipped=tuple(skipped))


if __name__ == "__main__":  # quick check for content authors: python -m knowledge.loader [DIR]
    try:
        kb = load_knowledge(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    except KnowledgeValidationError as exc:
        print(exc)
        sys.exit(1)
    print(f"ok: {len(kb.items)} items, {len(kb.faqs)} faqs")
