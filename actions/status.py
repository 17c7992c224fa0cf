"""Progress of one's own filing (check_status) and the public notice search (search_notice)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import validators as v
from actions.common import SESSION_FILINGS_SLOT, ActionDeps, answer, latest_text, session_filings, with_session_filing
from actions.filings.errors import LookupLimited
from actions.receipts import notice_card, utter_status
from actions.texts import text

if TYPE_CHECKING:
    from actions.filings import NoticeQuery

STATUS_FORM = "status_form"
NOTICE_FORM = "notice_search_form"
MAX_NOTICES = 5
MAX_TOLD = 3  # a status request without an id tells at most this many of the conversation's filings


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
    """The status of a filing this conversation owns (created here, or proved with id + phone's last four).

    A filing id and last four that match make the filing the conversation's; a filing of the conversation is
    told without asking again. Called without a filing id, it tells the conversation's latest filings.
    """

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return "action_check_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        from actions.filings.states import FIELD_LABELS

        known = session_filings(tracker)
        filing_id = v.check_filing_id(tracker.get_slot("filing_id"))
        last4 = v.check_last4(tracker.get_slot("phone_last4"))
        store = self.deps.filings
        views = []
        if store is not None and filing_id.ok and filing_id.value in known:
            views = [store.get(filing_id.value)]
        elif store is not None and filing_id.ok and last4.ok:
            try:
                views = [store.status_for(filing_id.value, last4.value, client_of(tracker))]
            except LookupLimited:
                dispatcher.utter_message(text=text(domain, "utter_status_too_many"))
                return [SlotSet("filing_id", None), SlotSet("phone_last4", None)]
            if views[0] is not None:
                known = with_session_filing(tracker, views[0].filing_id)
        elif store is not None and not tracker.get_slot("filing_id") and known:
            views = [store.get(k) for k in reversed(known[-MAX_TOLD:])]
        found = [view for view in views if view is not None]
        if not found:
            dispatcher.utter_message(text=text(domain, "utter_status_not_found"))
            return [SlotSet("filing_id", None), SlotSet("phone_last4", None)]
        for view in found:
            notice = store.notice(view.notice_number) if store is not None and view.notice_number else None
            utter_status(dispatcher, domain, view, FIELD_LABELS, notice)
        return [SlotSet("phone_last4", None), SlotSet(SESSION_FILINGS_SLOT, known)]


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


def search_query(deps: ActionDeps, tracker: Tracker) -> tuple[NoticeQuery, bool]:
    """The search asked for (notice_search.parse_query of the form's answer, else of the latest message), and
    whether it came from the form."""
    from actions.filings import parse_query

    answered = tracker.get_slot("notice_query") if "notice_query" in tracker.slots else None
    raw = str(answered or latest_text(tracker))
    types = [(k.name, tuple(k.aliases)) for k in deps.kb.license_types()]
    return parse_query(raw, types), bool(answered)


class SearchNotice(Action):
    """Published lost-license notices by company name (any phrasing, part of it, traditional characters),
    notice number, license number, USCC or license type. A request naming none of these asks for it
    (the notice_search_form)."""

    def __init__(self, deps: ActionDeps):
        self.deps = deps

    def name(self) -> str:
        return "action_search_notice"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        query, answered = search_query(self.deps, tracker)
        if query.empty and not answered:
            dispatcher.utter_message(text=text(domain, "utter_ask_notice_query"))
            return [ActiveLoop(NOTICE_FORM), SlotSet("requested_slot", "notice_query"), SlotSet("notice_query", None)]
        notices: list[Any] = []
        total = 0
        if self.deps.filings is not None and not query.empty:
            notices, total = self.deps.filings.find_notices(query, page=1, per_page=MAX_NOTICES)
        if not notices:
            dispatcher.utter_message(text=text(domain, "utter_notices_none"))
            return [SlotSet("notice_query", None)]
        dispatcher.utter_message(text=text(domain, "utter_notices_found", count=total))
        for n in notices:
            line = f"{n.number}｜{n.company_name}｜{n.license_type}｜{n.published_on.isoformat()} 发布｜{n.url}"
            dispatcher.utter_message(text=line, json_message=notice_card(n))
        if total > len(notices):
            board = board_url(notices[0].url, query.raw)
            dispatcher.utter_message(text=text(domain, "utter_notices_more", shown=len(notices), count=total, url=board))
        return [SlotSet("notice_query", None)]


def board_url(notice_url: str, q: str) -> str:
    """The notice board's address with the search filled in (beside a notice's own address)."""
    base = notice_url.rsplit("/notices/", 1)[0]
    return f"{base}/notices?{urlencode({'q': q[:100]})}"
