"""How a form is declared once: its fields in order, how each is asked, checked and read back, and the filing it
makes. The dialogue (assistant/dialogue), the rasa-sdk actions (actions/form_actions.py) and a Rasa domain
(`rasa_slots`, `rasa_form`, `responses`) all read these declarations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from actions.validators import Check
from knowledge.loader import KnowledgeBase
from nlu.form_fields import FieldCue, FieldKind, FormContext

if TYPE_CHECKING:
    from actions.filings import FilingStore, FilingView

READBACK_END = "确认无误请回复“确认提交”，需要修改请说“修改”，不办了请说“取消”。"


@dataclass(frozen=True)
class SlotContext:
    """What a check may consult: the knowledge base in force, today (Beijing), the form's values, the filings."""

    kb: KnowledgeBase
    today: dt.date
    slots: Mapping[str, Any]
    filings: FilingStore | None = None


@dataclass(frozen=True)
class Offer:
    """Buttons (Rasa dicts) and/or a custom card sent with a slot's question and its re-asks."""

    buttons: tuple[dict[str, str], ...] = ()
    custom: dict[str, Any] | None = None


Validator = Callable[[Any, SlotContext], Check]


@dataclass(frozen=True)
class SlotSpec:
    """One field of a form."""

    name: str
    label: str  # Chinese label: read-backs, corrections, reports of what was understood
    kind: FieldKind  # how the NLU finds a value of it (nlu/form_reply.py)
    ask: tuple[str, ...]  # the question's variants (Rasa response utter_ask_<name>); {example} is a computed date
    check: Validator  # the canonical value, or the re-ask response naming what is wrong
    help: str = ""  # where to find it and how to fill it in (said when the applicant hesitates or asks)
    keywords: tuple[str, ...] = ()  # how applicants name the field when correcting it
    entity: str | None = None  # NLU entity that fills it (Rasa from_entity)
    strong: bool = False  # a value of it may fill it while another field is asked
    example: Callable[[dt.date], dt.date] | None = None  # the example date of the question, from today
    offer: Callable[[SlotContext], Offer] | None = None  # buttons or a card with the question
    options: Callable[[KnowledgeBase], list[str]] | None = None  # every choice (fills {options} of `help`)
    field: str | None = None  # the filing's field when it differs from the slot name
    any_text: bool = False  # whatever is typed answers it (a question for staff is never a digression)

    @property
    def is_list(self) -> bool:
        """Multi-valued (validation items)."""
        return self.kind is FieldKind.ITEMS

    @property
    def ask_action(self) -> str | None:
        """action_ask_<slot> when the question needs the clock or the knowledge base, else None (utter_ask_)."""
        return f"action_ask_{self.name}" if self.example or self.offer else None

    @property
    def cue(self) -> FieldCue:
        """The field as the NLU reads replies to it."""
        return FieldCue(self.name, self.label, self.kind, self.keywords, self.strong)

    def prompt_values(self, today: dt.date) -> dict[str, str]:
        """Placeholders of the question: {example}, always computed from today."""
        return {"example": self.example(today).isoformat()} if self.example else {}

    def help_values(self, kb: KnowledgeBase) -> dict[str, str]:
        """Placeholders of the help: {options}, every choice of the knowledge base in force."""
        return {"options": "、".join(self.options(kb))} if self.options else {}


@dataclass(frozen=True)
class CrossCheck:
    """A check of several fields together (the same license already has a notice), run when one of them was
    just given and all have values; it returns a note to say (a Check with `note`) or None."""

    slots: tuple[str, ...]
    check: Callable[[SlotContext], Check | None]


@dataclass(frozen=True)
class FilingBinding:
    """The filing a completed form makes: its store record and how it is submitted."""

    kind: str  # actions.filings.states kind
    model: type[BaseModel]  # the store's input (LostNoticeData, ValidationData)
    # (store, data, idempotency key, the rejected filing it corrects or None) -> the filing
    submit: Callable[[FilingStore, Any, str, str | None], FilingView]


@dataclass(frozen=True)
class FormSpec:
    """A form: fields asked in order, then a read-back and 确认提交 (or a direct run) of the submit action."""

    key: str  # lost_notice → lost_notice_form, utter_start_lost_notice, utter_confirm_submit_lost_notice
    label: str  # what the applicant is doing, in Chinese
    slots: tuple[SlotSpec, ...]
    submit_action: str
    confirm: bool = True
    start_intent: str | None = None  # the intent (and button payload) that starts it
    intro: tuple[str, ...] = ()  # said when it starts; {count} is the number of fields
    readback_title: str = ""  # "遗失公告登记信息" in 请核对…
    resets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # correcting a slot also clears these
    filing: FilingBinding | None = None
    cross_checks: tuple[CrossCheck, ...] = ()

    @property
    def name(self) -> str:
        """The form's name (Rasa's forms: key, active_loop)."""
        return f"{self.key}_form"

    @property
    def validate_action(self) -> str:
        """rasa-sdk FormValidationAction name."""
        return f"validate_{self.name}"

    @property
    def intro_response(self) -> str | None:
        """The response said when the form starts."""
        return f"utter_start_{self.key}" if self.intro else None

    @property
    def readback_response(self) -> str | None:
        """The response holding the read-back text."""
        return f"utter_confirm_submit_{self.key}" if self.confirm and self.readback_title else None

    @property
    def slot_names(self) -> tuple[str, ...]:
        """Required slots in the order they are asked."""
        return tuple(s.name for s in self.slots)

    def slot(self, name: str | None) -> SlotSpec | None:
        """One slot's spec."""
        return next((s for s in self.slots if s.name == name), None)

    def context(self, asked: str | None, filled: Mapping[str, Any], others: tuple[str, ...] = ()) -> FormContext:
        """The form as the NLU reads a reply to it."""
        return FormContext(self.name, self.label, tuple(s.cue for s in self.slots), asked, dict(filled), others)

    def filing_data(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The filing's fields from the slots (validated again by the store's model)."""
        return {s.field or s.name: values.get(s.name) for s in self.slots}

    # ---- Rasa domain sections -----------------------------------------------------------------
    def responses(self) -> dict[str, list[dict[str, Any]]]:
        """Rasa `responses:` of the form: every slot's question and help, the intro and the read-back."""
        out: dict[str, list[dict[str, Any]]] = {f"utter_ask_{s.name}": [{"text": t} for t in s.ask] for s in self.slots}
        out.update({f"utter_help_{s.name}": [{"text": s.help}] for s in self.slots if s.help})
        if self.intro_response:
            count = str(len(self.slots))
            out[self.intro_response] = [{"text": t.replace("{count}", count)} for t in self.intro]
        if self.readback_response:
            lines = [f"请核对{self.readback_title}："] + [f"{s.label}：{{{s.name}}}" for s in self.slots] + [READBACK_END]
            out[self.readback_response] = [{"text": "\n".join(lines)}]
        return out

    def rasa_form(self) -> dict[str, Any]:
        """The form's entry of Rasa's `forms:`."""
        return {"required_slots": list(self.slot_names)}

    def rasa_slots(self) -> dict[str, dict[str, Any]]:
        """The form's entries of Rasa's `slots:` (from_entity for entity-filled slots, from_text while asked)."""
        out: dict[str, dict[str, Any]] = {}
        for s in self.slots:
            mappings: list[dict[str, Any]] = [{"type": "from_entity", "entity": s.entity}] if s.entity else []
            mappings.append({"type": "from_text", "conditions": [{"active_loop": self.name, "requested_slot": s.name}]})
            out[s.name] = {"type": "list" if s.is_list else "text", "influence_conversation": False,
                           "mappings": mappings}
        return out
