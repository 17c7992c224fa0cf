"""Answers from the knowledge base: FAQ answer cards and the hall's hours."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import ActionDeps, entity_values, has_retrieval, latest_text, ranking, retrieval
from actions.payloads import button
from actions.referral import referral_message
from actions.texts import text
from knowledge.models import Faq, FaqTopic, ServiceItem
from knowledge.provenance import GROUP_LABELS, example_groups
from nlu.normalize import fold

MAX_RELATED = 3
_WHOLE = re.compile(r"怎么办|如何办|怎样办|怎么弄|怎么申请|如何申请|办理流程|办事指南|全流程|介绍|怎么处理|怎么补办|需要怎么做")
_SPECIFIC = re.compile(r"材料|资料|多久|时限|几天|多长时间|费用|收费|多少钱|地址|在哪|哪里|网上|线上|网址|条件|电话|时间|几点")


def asks_whole_service(user_text: str) -> bool:
    """True when the question is about the service as a whole, not one aspect of it."""
    folded = fold(user_text)  # traditional and full-width text reads as simplified
    return bool(_WHOLE.search(folded)) and not _SPECIFIC.search(folded)


CARD_GROUPS = ("materials", "steps", "time_limit", "where", "online_entry", "hours", "phone")  # the guide's facts


def answer_card(item: ServiceItem, faq: Faq, whole: bool) -> dict[str, Any]:
    """The custom `answer_card`; the full guide (materials, steps, ...) when `whole`.

    Facts marked `example` are never sent as if true: their field is left empty and `pending` names them
    ({group, label}), so the card can say they are being confirmed (ask at the hall or call 12345)."""
    card: dict[str, Any] = {
        "type": "answer_card", "service_id": item.id, "service_name": item.name, "faq_id": faq.id,
        "question": faq.question, "answer": faq.answer, "source": faq.source.model_dump(mode="json"),
    }
    if whole:
        held = set(example_groups(item))
        card.update(
            materials=[] if "materials" in held else [m.model_dump(mode="json") for m in item.materials],
            steps=[] if "steps" in held else [s.model_dump(mode="json") for s in item.steps],
            time_limit=None if "time_limit" in held else item.time_limit.model_dump(mode="json"),
            where=None if "where" in held else item.where.model_dump(mode="json"),
            online_entry=item.online_entry.model_dump(mode="json") if item.online_entry and "online_entry" not in held
            else None,
            hours=None if "hours" in held else item.hours,
            phone=None if "phone" in held else item.phone,
            legal_basis=[b.model_dump(mode="json") for b in item.legal_basis],
            pending=[{"group": g, "label": GROUP_LABELS[g]} for g in CARD_GROUPS if g in held],
        )
    return card


def _entries_of(item: ServiceItem, ids: list[str], skip: str = "") -> list[Faq]:
    """The item's FAQs among `ids`, in that order, each once, without `skip`: at most MAX_RELATED."""
    by_id = {f.id: f for f in item.faqs}
    return [by_id[i] for i in dict.fromkeys(ids) if i in by_id and i != skip][:MAX_RELATED]


def _ranked_ids(hits: list[dict[str, Any]]) -> list[str]:
    """The FAQ ids of a wire ranking, best first."""
    return [str(h["faq_id"]) for h in hits if h.get("faq_id")]


def related(item: ServiceItem, faq: Faq, hits: list[dict[str, Any]]) -> list[Faq]:
    """2-3 other questions of the same service: the retrieval's next hits first, then the item's order."""
    return _entries_of(item, _ranked_ids(hits) + [f.id for f in item.faqs], skip=faq.id)


class AnswerFaq(Action):
    """Answers as the parse's `retrieval.match` decided: the first entry (`answer`, or the FAQ a button named),
    "您是想问" with the close entries (`clarify`), or the honest referral (`none`)."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return "action_answer_faq"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        hits = ranking(tracker)
        found_retrieval = retrieval(tracker)
        named = [str(x) for x in entity_values(tracker, "faq_id") if x]
        if not named and not has_retrieval(tracker) and self.deps.understand is not None:
            hits = self.deps.understand(latest_text(tracker))  # a parse without `retrieval`: ask the engine
        match = "answer" if named else str(found_retrieval.get("match") or "answer")
        kb = self.deps.kb
        if match == "none":
            msg, buttons, card = referral_message(self.deps.directory, domain, found_retrieval.get("referral"),
                                                  latest_text(tracker))
            nearest = self._nearest_of(found_retrieval, hits)
            if nearest is not None:
                # Unanswered, but about one of our services: its closest entries as buttons, below the honest
                # "not in the base" (never an answer: the person picks, or asks a person).
                about, offered = nearest
                msg += text(domain, "utter_referral_related", service=about.name)
                buttons = [button(f.question, "ask_faq", faq_id=f.id) for f in offered] + buttons
                card.update(service_id=about.id, related=[{"faq_id": f.id, "question": f.question} for f in offered])
            dispatcher.utter_message(text=msg, buttons=buttons, json_message=card)
            return []
        documents = bool(found_retrieval.get("documents"))
        if match == "clarify":
            faqs = [kb.faq(str(f)) for f in found_retrieval.get("candidates") or []]
            options = [button(f.question, "ask_faq", faq_id=f.id) for _, f in (x for x in faqs if x)]
            if len(options) >= 2:
                dispatcher.utter_message(text=text(domain, "utter_clarify"), buttons=options,
                                         json_message={"type": "clarify", "options": [o["payload"] for o in options]})
                return []
        faq_id = named[0] if named else (hits[0]["faq_id"] if hits else "")
        found = kb.faq(faq_id) if faq_id else None
        if found is None:
            dispatcher.utter_message(text=text(domain, "utter_default"))
            return []
        item, faq = found
        whole = faq.topic is FaqTopic.OVERVIEW or (not named and asks_whole_service(latest_text(tracker)))
        near = related(item, faq, hits)
        buttons = [button(f.question, "ask_faq", faq_id=f.id) for f in near]
        types = [x for x in entity_values(tracker, "license_type") if x]
        # A filing button only for what the service accepts: not for a 身份证 or 营业执照 named without a license.
        if item.filing and not (tracker.active_loop or {}).get("name") and not (documents and not types):
            ents: dict[str, Any] = {}
            if item.filing == "start_lost_notice" and types:
                ents["license_type"] = types[0]
            buttons.append(button("开始办理", item.filing, **ents))
        card = answer_card(item, faq, whole)
        card["related"] = [{"faq_id": f.id, "question": f.question} for f in near]  # shown as 相关问题 buttons
        dispatcher.utter_message(text=faq.answer, buttons=buttons, json_message=card)
        return []

    def _nearest_of(self, found: dict[str, Any], hits: list[dict[str, Any]]) -> tuple[ServiceItem, list[Faq]] | None:
        """The service a `none` is still about (`retrieval.about`) and its closest entries, best first; None when
        the message names a department's matter or a document (the referral is the whole reply then)."""
        about = found.get("about")
        item = self.deps.kb.items.get(str(about)) if about else None
        if item is None or found.get("referral") or found.get("documents"):
            return None
        faqs = _entries_of(item, _ranked_ids(hits))
        return (item, faqs) if faqs else None


class QueryOfficeHours(Action):
    """The hall's opening hours and address (knowledge item service-hall)."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return "action_query_office_hours"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        hall = self.deps.hall()
        if hall is None:
            dispatcher.utter_message(text=text(domain, "utter_default"))
            return []
        held = set(example_groups(hall))  # facts marked `example` are never told as true
        hours = None if "hours" in held else hall.hours
        address = None if "where" in held else (hall.where.address or hall.where.zone)
        template = "utter_office_hours" if hours and address else "utter_office_hours_unconfirmed"
        msg = text(domain, template, hours=hours or "正在核实", address=address or "正在核实")
        dispatcher.utter_message(
            text=msg, json_message={"type": "office_hours", "hours": hours, "address": address,
                                    "phone": None if "phone" in held else hall.phone,
                                    "pending": [{"group": g, "label": GROUP_LABELS[g]}
                                                for g in ("hours", "where", "phone") if g in held]}
        )
        return []
