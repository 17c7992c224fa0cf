"""Reader of Rasa 3 NLU training data (intents with examples, synonyms, lookup tables, regexes)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nlu.errors import TrainingDataError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster

DEFAULT_NLU = Path(__file__).parent / "data" / "nlu.yml"
# Rasa's inline annotation: [text](entity), [text]{"entity": ...}, [text](entity:value)
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<ent>[^)]+)\)|\{(?P<json>[^}]+)\})")


@dataclass(frozen=True)
class Example:
    """One training utterance."""

    text: str  # plain text, annotations removed
    intent: str  # the intent it belongs to
    entities: tuple[tuple[str, str], ...] = ()  # (entity, value) annotated in the example


@dataclass(frozen=True)
class TrainingData:
    """Everything read from the NLU YAML files."""

    examples: tuple[Example, ...]
    synonyms: dict[str, str] = field(default_factory=dict)  # surface form -> canonical value
    lookups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # entity -> values
    regexes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> patterns
    digest: str = ""  # hash of the source files, for retraining when they change

    @property
    def intents(self) -> list[str]:
        """Intent names, in first-seen order."""
        return list(dict.fromkeys(e.intent for e in self.examples))


def strip_annotations(text: str) -> tuple[str, list[tuple[str, str]]]:
    """'丢了[食经证](license_type)' -> ('丢了食经证', [('license_type', '食经证')])."""
    ents: list[tuple[str, str]] = []

    def repl(m: re.Match[str]) -> str:
        if m.group("ent"):
            name, _, value = m.group("ent").partition(":")
            ents.append((name.strip(), value.strip() or m.group("text")))
        elif m.group("json"):
            try:
                spec = json.loads("{" + m.group("json") + "}")
            except ValueError:
                spec = {}
            if isinstance(spec, dict) and spec.get("entity"):
                ents.append((str(spec["entity"]), str(spec.get("value", m.group("text")))))
        return m.group("text")

    return _ANNOTATION.sub(repl, text), ents


def _block(value: object, where: str) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if not isinstance(value, str):
        raise TrainingDataError(f"{where}: `examples` must be a block of '- ' lines")
    out = []
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith("- "):
            raise TrainingDataError(f"{where}: line {line!r} must start with '- '")
        out.append(line[2:].strip())
    return out


def load_training_data(*paths: Path) -> TrainingData:
    """Read one or more Rasa NLU YAML files."""
    paths = paths or (DEFAULT_NLU,)
    examples: list[Example] = []
    synonyms: dict[str, str] = {}
    lookups: dict[str, tuple[str, ...]] = {}
    regexes: dict[str, tuple[str, ...]] = {}
    h = hashlib.sha256()
    for path in paths:
        raw_text = path.read_text(encoding="utf-8")
        h.update(raw_text.encode())
        try:
            doc = yaml.load(raw_text, Loader=_LOADER) or {}
        except yaml.YAMLError as exc:
            raise TrainingDataError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(doc, dict):
            raise TrainingDataError(f"{path}: the top level must be a mapping with an `nlu:` list")
        for n, entry in enumerate(doc.get("nlu") or []):
            where = f"{path}: nlu[{n}]"
            if not isinstance(entry, dict):
                raise TrainingDataError(f"{where}: each entry must be a mapping")
            if "intent" in entry:
                for line in _block(entry.get("examples"), where):
                    text, ents = strip_annotations(line)
                    examples.append(Example(text, str(entry["intent"]), tuple(ents)))
            elif "synonym" in entry:
                for form in _block(entry.get("examples"), where):
                    synonyms[form] = str(entry["synonym"])
            elif "lookup" in entry:
                lookups[str(entry["lookup"])] = tuple(_block(entry.get("examples"), where))
            elif "regex" in entry:
                regexes[str(entry["regex"])] = tuple(_block(entry.get("examples"), where))
            else:
                raise TrainingDataError(f"{where}: expected one of intent, synonym, lookup, regex")
    if not examples:
        raise TrainingDataError("no training examples found")
    return TrainingData(tuple(examples), synonyms, lookups, regexes, h.hexdigest()[:16])
