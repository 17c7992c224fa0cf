"""Helpers for versioned knowledge: canonical YAML, the export stream, diffs, and building a base from texts.

Imports nothing outside `knowledge/` (the store, the console and the CLI all use these).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from knowledge import clock, yamlsafe
from knowledge.errors import KnowledgeValidationError, LoadProblem
from knowledge.loader import _LOADER, DEFAULT_DATA_DIR, KnowledgeBase, parse_item
from knowledge.models import ServiceItem

STREAM_MARK = "--- # "  # starts every item of an exported YAML stream
_DOC_LINE = re.compile(r"^(---|\.\.\.)(\s|$)")


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, like the hand-written files."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style=style)


def _represent_enum(dumper: yaml.SafeDumper, data: Enum) -> yaml.Node:
    return _represent_str(dumper, str(data.value))


_Dumper.add_representer(str, _represent_str)
_Dumper.add_multi_representer(Enum, _represent_enum)


def load_raw(text: str) -> dict[str, Any]:
    """The YAML mapping of one item (empty when the text is not a mapping, or too large / too many aliases to read:
    knowledge/yamlsafe.py; validating the text says why)."""
    try:
        raw = yamlsafe.load(text, _LOADER)
    except (yaml.YAMLError, ValueError):  # ValueError: an impossible date such as 2025-02-30, or YamlRefused
        return {}
    return raw if isinstance(raw, dict) else {}


def header_comment(text: str) -> str:
    """The comment lines a file starts with (kept when a form rewrites the item)."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("#") or (not line.strip() and lines):
            lines.append(line)
            continue
        break
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def dump_item(raw: Mapping[str, Any], header: str = "") -> str:
    """Canonical YAML of one item's mapping (keys in the given order, long texts on one line)."""
    body = yaml.dump(dict(raw), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1_000_000)
    return header + body


def dump_model(item: ServiceItem, header: str = "") -> str:
    """YAML of a validated item (for items that exist only as objects)."""
    raw = item.model_dump(mode="python", exclude_none=True)
    return dump_item(raw, header)


def canonical(text: str) -> str:
    """The item's content in canonical YAML (comments and formatting aside), for diffs of what changed."""
    raw = load_raw(text)
    return dump_item(raw) if raw else text


def normalise_text(text: str) -> str:
    """Stored form of an item's text: Unix line ends, exactly one final newline."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n") + "\n"


def check_text(item_id: str, text: str) -> ServiceItem:
    """Validate one item's YAML exactly as the loader does a file named `<item_id>.yml`."""
    for n, line in enumerate(text.splitlines(), 1):
        if _DOC_LINE.match(line):
            raise KnowledgeValidationError(
                [LoadProblem(f"{item_id}.yml", f"line {n}", "a YAML document marker (--- or ...) inside an item",
                             "remove the line: one item is one document")]
            )
    return _parse(Path(f"{item_id}.yml"), text)


def _parse(path: Path, text: str) -> ServiceItem:
    """parse_item, with PyYAML's ValueError on an unquoted impossible date (2025-02-30) reported as a problem."""
    try:
        return parse_item(path, text)
    except ValueError as exc:
        raise KnowledgeValidationError(
            [LoadProblem(str(path), "(file)", f"not valid YAML: {exc}", "write dates as real YYYY-MM-DD days")]
        ) from exc


def build_kb(texts: Mapping[str, str], today: dt.date | None = None) -> KnowledgeBase:
    """A knowledge base from item texts (id -> YAML); items not in force today are skipped."""
    today = today or clock.today()
    items: dict[str, ServiceItem] = {}
    skipped: list[str] = []
    problems: list[LoadProblem] = []
    for item_id in sorted(texts):
        try:
            item = check_text(item_id, texts[item_id])
        except KnowledgeValidationError as exc:
            problems.extend(exc.problems)
            continue
        if item.is_effective(today):
            items[item.id] = item
        else:
            skipped.append(item.id)
    if problems:
        raise KnowledgeValidationError(problems)
    return KnowledgeBase(items=items, skipped=tuple(skipped))


def read_folder(folder: Path | None = None) -> dict[str, str]:
    """Item texts (id -> YAML) of a knowledge folder, every file validated; raises with all problems."""
    return {item_id: text for item_id, (text, _) in parse_folder(folder).items()}


def parse_folder(folder: Path | None = None) -> dict[str, tuple[str, ServiceItem]]:
    """id -> (YAML text, validated item) of every file of a knowledge folder; raises with all problems."""
    folder = folder or DEFAULT_DATA_DIR
    out: dict[str, tuple[str, ServiceItem]] = {}
    problems: list[LoadProblem] = []
    for path in sorted(folder.glob("*.y*ml")):
        text = normalise_text(path.read_text(encoding="utf-8"))
        try:
            item = _parse(path, text)
        except KnowledgeValidationError as exc:
            problems.extend(exc.problems)
            continue
        out[item.id] = (text, item)
    if problems:
        raise KnowledgeValidationError(problems)
    return out


def join_stream(texts: Mapping[str, str]) -> str:
    """The whole base as one YAML stream: `--- # <id>` then the item's text, items sorted by id."""
    return "".join(f"{STREAM_MARK}{item_id}\n{normalise_text(texts[item_id])}" for item_id in sorted(texts))


def split_stream(stream: str) -> list[tuple[int, str]]:
    """The documents of a YAML stream as (first line number, text); inverse of `join_stream`."""
    docs: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    for n, line in enumerate(normalise_text(stream).split("\n")[:-1], 1):
        if line.startswith("---") and (len(line) == 3 or line[3] in " \t"):
            current = []
            docs.append((n + 1, current))
            continue
        if current is None:  # text before the first marker: one document without a marker
            current = []
            docs.append((n, current))
        current.append(line)
    out = []
    for start, lines in docs:
        text = "\n".join(lines)
        if text.strip() and not all(not ln.strip() or ln.lstrip().startswith("#") for ln in lines):
            out.append((start, normalise_text(text)))
    return out


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff; kind is add, del, hunk or same."""

    kind: str
    text: str


def diff_lines(old: str, new: str, old_label: str, new_label: str, context: int = 3) -> list[DiffLine]:
    """Unified diff (difflib) of two YAML texts, classified per line for display."""
    out: list[DiffLine] = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), old_label, new_label, n=context, lineterm=""):
        if line.startswith(("---", "+++")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        out.append(DiffLine(kind, line))
    return out
