"""One user message as the dialogue sees it: the NLU's parse plus typed payload entities and cues."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.dialogue.forms import FormSpec
from nlu import references
from nlu.classifier import Payload, parse_payload
from nlu.types import Hit, ParseResult

_CANCEL = re.compile(
    r"(?:那|那就|还是|我|我要|请|帮我|先)?"
    r"(?:取消|算了|不办了|不想办了?|不弄了|不填了|放弃|退出|先不办了?|暂时不办了?|停止填写|下次再说|以后再说|改天再办|不要办了|不办)"
    r"(?:吧|了|啦|办理|填写|申请|提交|这个|本次办理)?(?:吧|了|啦)?"
)
_PUNCT = re.compile(r"[\s,，。.!！?？~～、]+")
_QUESTION = re.compile(r"[?？]|怎么|如何|什么|哪|吗|多少|多久|几天|几点|能不能|可不可以|是否|要不要|需不需要|有没有|为啥|为什么|咋")
_CORRECTION = re.compile(r"写错|填错|输错|打错|弄错|搞错|错了|不对|有误|改一下|改成|改为|修改|更正|重新填|重填|要改|更改|换成")
_CONFIRM = re.compile(r"提交|确认|确定")
_LAST4 = re.compile(r"(?<![\dA-Za-z])(\d{4})(?!\d)")


@dataclass(frozen=True)
class UserMessage:
    """The text, its parse, and the payload (buttons) with typed JSON entities."""

    text: str
    parse: ParseResult
    payload: Payload | None

    @classmethod
    def of(cls, text: str, parse: ParseResult) -> UserMessage:
        """Wrap a parse; payload entities keep their JSON types (lists stay lists)."""
        return cls(text, parse, parse_payload(text))

    @property
    def intent(self) -> str:
        """The decided intent."""
        return self.parse.intent.name

    @property
    def confidence(self) -> float:
        """The decided intent's confidence."""
        return float(self.parse.intent.confidence)

    @property
    def top_hit(self) -> Hit | None:
        """The best knowledge entry."""
        return self.parse.ranking[0] if self.parse.ranking else None

    @property
    def hit_score(self) -> float:
        """The best knowledge entry's similarity plus its cue boost, at most 1 (0 when none).

        Cue words legitimately point to an item when offering "您是想问"; the NLU's own rescue of an
        out-of-scope message uses the cue-free `Hit.evidence` instead.
        """
        return max((min(1.0, float(h.evidence + h.boost)) for h in self.parse.ranking), default=0.0)

    def prob(self, intent: str) -> float:
        """The classifier's probability of one intent."""
        return next((float(i.confidence) for i in self.parse.intent_ranking if i.name == intent), 0.0)

    def payload_value(self, key: str) -> Any:
        """A payload entity by key (JSON-typed), or None."""
        return self.payload.entities.get(key) if self.payload else None

    def entities(self, name: str) -> list[Any]:
        """Entity values of a type: payload keys first, then the NLU's entities."""
        if self.payload is not None:
            value = self.payload.entities.get(name)
            if value is None:
                return []
            return list(value) if isinstance(value, list) else [value]
        return [e.value for e in self.parse.entities if e.entity == name]

    # ---- cues -------------------------------------------------------------------------------
    def is_cancel(self) -> bool:
        """An explicit cancel (the 取消 button, or 取消/算了/不办了 ... typed briefly)."""
        if self.payload is not None:
            return self.payload.intent == "deny"
        bare = _PUNCT.sub("", self.text)
        return bool(bare) and len(bare) <= 20 and _CANCEL.sub("", bare) in ("", "谢谢", "不用了")

    def is_question(self) -> bool:
        """Shaped like a question."""
        return bool(_QUESTION.search(self.text))

    def is_explicit_confirm(self) -> bool:
        """The 确认提交 button or typed words of submitting."""
        if self.payload is not None:
            return self.payload.intent == "affirm"
        return self.intent == "affirm" and bool(_CONFIRM.search(self.text))

    def correction_slot(self, form: FormSpec) -> str | None:
        """The field the user says is wrong ("公司名称写错了"), if any."""
        if self.payload is not None:
            if self.payload.intent == "correct":
                slot = self.payload.entities.get("slot")
                return str(slot) if slot in form.slot_names else None
            return None
        if not _CORRECTION.search(self.text):
            return None
        best: tuple[int, str] | None = None
        for spec in form.slots:
            for kw in spec.keywords:
                if kw in self.text and (best is None or len(kw) > best[0]):
                    best = (len(kw), spec.name)
        return best[1] if best else None

    def wants_correction(self) -> bool:
        """The 修改 button, or a correction cue without a field."""
        if self.payload is not None:
            return self.payload.intent == "correct"
        return bool(_CORRECTION.search(self.text))

    def last4(self) -> str | None:
        """A standalone 4-digit number (the phone's last four) outside filing ids."""
        rest = references.IN_TEXT.sub(" ", self.text)
        m = _LAST4.search(rest)
        return m.group(1) if m else None
