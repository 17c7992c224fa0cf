"""What the dialogue says: typed bot messages, converted to Rasa's REST wire shape only at the door."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Button:
    """A quick reply; `payload` is a question text or Rasa payload syntax (`/intent{...}`)."""

    title: str
    payload: str

    def to_wire(self) -> dict[str, str]:
        """Rasa's button shape."""
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class BotMessage:
    """One bot message: text, buttons, an image and/or a rich `custom` card (always with a `type`)."""

    text: str | None = None
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: dict[str, Any] | None = None

    def to_wire(self, recipient_id: str) -> dict[str, Any]:
        """Rasa REST shape: recipient_id, text, and buttons/image/custom only when present."""
        out: dict[str, Any] = {"recipient_id": recipient_id}
        if self.text is not None:
            out["text"] = self.text
        if self.buttons:
            out["buttons"] = [b.to_wire() for b in self.buttons]
        if self.image:
            out["image"] = self.image
        if self.custom:
            out["custom"] = self.custom
        return out

    @classmethod
    def from_rasa(cls, response: dict[str, Any]) -> BotMessage:
        """A rasa-sdk dispatcher response (text, buttons, image, custom ...) as a BotMessage."""
        buttons = tuple(
            Button(str(b.get("title", "")), str(b.get("payload", "")))
            for b in response.get("buttons") or []
            if isinstance(b, dict)
        )
        custom = response.get("custom") or None
        return cls(
            text=response.get("text") or None,
            buttons=buttons,
            image=response.get("image") or None,
            custom=dict(custom) if isinstance(custom, dict) else None,
        )

    def is_empty(self) -> bool:
        """True when the message would show nothing."""
        return not (self.text or self.buttons or self.image or self.custom)


@dataclass(frozen=True)
class TurnResult:
    """The outcome of one handled user message."""

    turn_id: str
    sender_id: str
    messages: tuple[BotMessage, ...]
    intent: str | None
    confidence: float | None

    def to_wire(self) -> list[dict[str, Any]]:
        """The REST channel's response body."""
        return [m.to_wire(self.sender_id) for m in self.messages]
