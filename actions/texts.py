"""Bot texts for actions: the calling domain's responses first, then the actions' own responses.yml.

The actions own the texts they send (actions/responses.yml, and the forms' questions declared in actions/forms),
so the action server shows 灵灵's texts even when a Rasa server's domain lacks them; the dialogue adds its own
texts to these (assistant/dialogue).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from actions.forms import form_responses

BUNDLED = Path(__file__).with_name("responses.yml")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load_responses(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Rasa-format `responses:` of a YAML file: name → variants (dicts with text/buttons/custom)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, list[dict[str, Any]]] = {}
    for name, variants in (raw.get("responses") or {}).items():
        out[str(name)] = [dict(v) for v in variants or [] if isinstance(v, dict)]
    return out


@lru_cache(maxsize=1)
def bundled_responses() -> dict[str, list[dict[str, Any]]]:
    """The actions' responses: responses.yml and the forms' own (questions, help, intros, read-backs)."""
    own, forms = load_responses(BUNDLED), form_responses()
    twice = sorted(set(own) & set(forms))
    if twice:
        raise ValueError(f"responses declared both by a form (actions/forms) and in actions/responses.yml: {twice}")
    return {**own, **forms}


def fill(template: str, values: Mapping[str, Any]) -> str:
    """Replace `{name}` placeholders whose value is known; lists are joined with 、."""

    def one(m: re.Match[str]) -> str:
        if m.group(1) not in values or values[m.group(1)] is None:
            return m.group(0)
        v = values[m.group(1)]
        return "、".join(str(x) for x in v) if isinstance(v, list | tuple) else str(v)

    return _PLACEHOLDER.sub(one, template)


def variants(domain: Mapping[str, Any] | None, name: str) -> list[dict[str, Any]]:
    """The variants of a response: from the domain when it has them, else bundled."""
    found = ((domain or {}).get("responses") or {}).get(name)
    if found:
        return [dict(v) for v in found if isinstance(v, dict)]
    return bundled_responses().get(name, [])


def text(domain: Mapping[str, Any] | None, name: str, **values: Any) -> str:
    """The first variant's text, filled; the name itself when no text exists (never for shipped names)."""
    for v in variants(domain, name):
        if v.get("text"):
            return fill(str(v["text"]), values)
    return name
