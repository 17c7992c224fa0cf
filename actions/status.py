"""Progress of one's own filing (check_status) and the public notice search (search_notice)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import validators as v
from actions.common import ActionDeps, answer, entity_values, latest_text
from actions.filings.errors import LookupLimited
from actions.receipts import utter_status
from actions.texts import text

STATUS_FORM = "status_form"
NOTICE_FORM = "notice_search_form"
MAX_NOTICES = 5
_NOTICE_NUMBER = re.compile(r"XHA\s*[-－—]?\s*YS\s*[-－—]?\s*(\d{4})\s*[-－—]?\s*(\d{1,4})", re.I)
_FILLER = re.compile(r"帮我|请|查询|查一下|查查|查找|搜索|搜一下|查|找|一下|看看|下载|的|遗失公告|公告|遗失|有没有|吗|呢|[?？。，,!！]")


def client_of(tracker: Tracker) -> str:
    """Whom status look-ups are counted against: the client tag the web app's doors put into the message's
    metadata (`client`, never taken from the user), else the conversation."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    tag = metadata.get("client") if isinstance(metadata, dict) else None
    return f"client:{tag}" if isinstance(tag, str) and tag else f"sender:{tracker.sender_id}"


class ValidateStatusForm(FormValidationAction):
    """Checks the filing id and the last four digits of the phone."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return f"validate_{STATUS_FORM}"

    def validate_filing_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        return answer("filing_id", v.check_filing_id(value), dispatcher, domain)

    def validate_phone_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        return answer("phone_last4", v.check_last4(value), dispatcher, domain)


class CheckStatus(Action):
    """The filing's status when the id and the phone's last four digits match; nothing otherwise."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return "action_check_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        filing_id = v.check_filing_id(tracker.get_slot("filing_id"))
        last4 = v.check_last4(tracker.get_slot("phone_last4"))
        view = None
        if filing_id.ok and last4.ok and self.deps.filings is not None:
            try:
                view = self.deps.filings.status_for(filing_id.value, last4.value, client_of(tracker))
            except LookupLimited:
                dispatcher.utter_message(text=text(domain, "utter_status_too_many"))
                return [SlotSet("filing_id", None), SlotSet("phone_last4", None)]
        if view is None:
            dispatcher.utter_message(text=text(domain, "utter_status_not_found"))
            return [SlotSet("filing_id", None), SlotSet("phone_last4", None)]
        utter_status(dispatcher, domain, view)
        return [SlotSet("phone_last4", None)]


class ValidateNoticeSearchForm(FormValidationAction):
    """Accepts any non-trivial search words."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return f"validate_{NOTICE_FORM}"

    def validate_notice_query(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        return answer("notice_query", v.check_text(value, "utter_ask_notice_query", min_len=2, max_len=100),
                      dispatcher, domain)


def search_terms(deps: ActionDeps, tracker: Tracker) -> tuple[str, str, str]:
    """(words, license type, notice number) from the latest message's entities or the notice_query slot."""
    raw = str(tracker.get_slot("notice_query") or latest_text(tracker)) if "notice_query" in tracker.slots \
        else latest_text(tracker)
    number = ""
    m = _NOTICE_NUMBER.search(raw)
    if m:
        number = f"XHA-YS-{m.group(1)}-{int(m.group(2)):04d}"
    types = [x for x in entity_values(tracker, "license_type") if x] or v.resolve_kinds(raw, deps.kb.license_types())
    license_type = str(types[0]) if types else ""
    orgs = [x for x in entity_values(tracker, "org_name") if x]
    if orgs:
        words = str(orgs[0])
    else:
        words = raw if not m else raw.replace(m.group(0), "")
        for t in deps.kb.license_types():
            for name in sorted([t.name, *t.aliases], key=len, reverse=True):
                words = words.replace(name, "")
        words = _FILLER.sub("", v.clean(words)).strip()
    return words, license_type, number


class SearchNotice(Action):
    """Published lost-license notices by company name, license type or notice number."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return "action_search_notice"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        words, license_type, number = search_terms(self.deps, tracker)
        notices: list[Any] = []
        total = 0
        if self.deps.filings is not None and (words or license_type or number):
            notices, total = self.deps.filings.search_notices(
                q=words, license_type=license_type, number=number, page=1, per_page=MAX_NOTICES
            )
        if not notices:
            dispatcher.utter_message(text=text(domain, "utter_notices_none"))
            return [SlotSet("notice_query", None)]
        dispatcher.utter_message(text=text(domain, "utter_notices_found", count=total))
        for n in notices:
            card = {
                "type": "notice", "number": n.number, "company_name": n.company_name, "license_type": n.license_type,
                "published_on": n.published_on.isoformat(), "url": n.url, "pdf_url": n.pdf_url,
            }
            line = f"{n.number}｜{n.company_name}｜{n.license_type}｜{n.published_on.isoformat()} 发布｜{n.url}"
            dispatcher.utter_message(text=line, json_message=card)
        return [SlotSet("notice_query", None)]
