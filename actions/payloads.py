"""Button payloads in Rasa's syntax."""

from __future__ import annotations

import json
from typing import Any


def payload(intent: str, **entities: Any) -> str:
    """A button payload in Rasa's syntax: /intent or /intent{"slot": value}."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}"


def button(title: str, intent: str, **entities: Any) -> dict[str, str]:
    """A Rasa button dict."""
    return {"title": title, "payload": payload(intent, **entities)}
