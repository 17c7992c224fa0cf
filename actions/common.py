"""What every action shares: its dependencies, reading the tracker, answering a validation (buttons: payloads.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.filings.dates import is_working_day
from actions.texts import text
from actions.validators import Check
from knowledge.clock import Clock, system_clock
from knowledge.clock import today as clock_today
from knowledge.hours import WorkingDay
from knowledge.loader import KnowledgeBase
from knowledge.models import ReferralDirectory, ServiceItem
from knowledge.referrals import load_directory

if TYPE_CHECKING:
    from actions.filings import FilingStore
    from actions.filings.institutions import InstitutionRegistry
    from actions.reminders.service import ReminderService

HALL_ID = "service-hall"  # the knowledge item describing the service center itself
FORM_SESSION_SLOT = "form_session_id"  # set by the dialogue when a form starts; keys idempotent submits
# The engine asked directly: a text's knowledge ranking (API.md's `retrieval.ranking` entries), empty when the
# engine does not read it as a service question. Used when a parse reaches the actions without `retrieval`.
Understand = Callable[[str], list[dict[str, Any]]]
# The filings this conversation created or proved it owns (id + phone's last four), newest last: their status
# is told without asking again, and only they may be resubmitted. Set by actions only; a new session starts empty.
SESSION_FILINGS_SLOT = "session_filings"
RESUBMISSION_SLOT = "resubmission_of"  # the rejected filing the form being filled corrects
MAX_SESSION_FILINGS = 10


@dataclass(frozen=True)
class ActionDeps:
    """The objects actions are constructed with."""

    knowledge: Callable[[], KnowledgeBase]  # the knowledge base in force: a new object after every publish
    filings: FilingStore | None = None
    clock: Clock = system_clock
    working_day: WorkingDay = is_working_day  # the hall's working days: the State Council's holiday calendar
    directory: ReferralDirectory = field(default_factory=load_directory)  # matters the base lacks → departments
    institutions: InstitutionRegistry | None = None  # the registry (the due question identifies institutions)
    reminders: ReminderService | None = None  # chat reminders are told when an institution identifies itself
    understand: Understand | None = None  # 灵灵's engine, for parses without `retrieval` (e.g. Rasa's own NLU)

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base in force now (read it once per action run)."""
        return self.knowledge()

    def today(self) -> dt.date:
        """Today in Beijing, by the project's clock."""
        return clock_today(self.clock)

    def hall(self) -> ServiceItem | None:
        """The service center's own knowledge item."""
        return self.kb.items.get(HALL_ID)


def entity_values(tracker: Tracker, name: str) -> list[Any]:
    """Values of one entity type in the latest user message."""
    ents = (tracker.latest_message or {}).get("entities") or []
    return [e.get("value") for e in ents if isinstance(e, dict) and e.get("entity") == name]


def session_filings(tracker: Tracker) -> list[str]:
    """The filings this conversation owns (see SESSION_FILINGS_SLOT), oldest first."""
    value = tracker.get_slot(SESSION_FILINGS_SLOT) if SESSION_FILINGS_SLOT in tracker.slots else None
    return [str(v).upper() for v in value if isinstance(v, str)] if isinstance(value, list) else []


def with_session_filing(tracker: Tracker, filing_id: str) -> list[str]:
    """The session's filings with one more (moved to the end when known)."""
    known = [f for f in session_filings(tracker) if f != filing_id.upper()]
    return [*known, filing_id.upper()][-MAX_SESSION_FILINGS:]


def latest_text(tracker: Tracker) -> str:
    """The latest user message's text."""
    return str((tracker.latest_message or {}).get("text") or "")


def has_retrieval(tracker: Tracker) -> bool:
    """True when the latest parse came from 灵灵's engine (it carries `retrieval`; Rasa's own NLU does not)."""
    return isinstance((tracker.latest_message or {}).get("retrieval"), dict)


def ranking(tracker: Tracker) -> list[dict[str, Any]]:
    """The latest message's retrieval ranking (our parse data carries it; Rasa's does not)."""
    retrieval = (tracker.latest_message or {}).get("retrieval") or {}
    return [h for h in retrieval.get("ranking") or [] if isinstance(h, dict) and h.get("faq_id")]


def retrieval(tracker: Tracker) -> dict[str, Any]:
    """The latest message's `retrieval` object (ranking, match, why, candidates, referral, documents)."""
    found = (tracker.latest_message or {}).get("retrieval")
    return found if isinstance(found, dict) else {}


def idempotency_key(tracker: Tracker, slots: Mapping[str, Any]) -> str:
    """Sender + form session: a retried confirm of the same form gives the same key."""
    session = tracker.get_slot(FORM_SESSION_SLOT) if FORM_SESSION_SLOT in tracker.slots else None
    if not session:
        session = hashlib.sha256(json.dumps(dict(slots), sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"{tracker.sender_id}:{session}"


def answer(
    slot: str,
    check: Check,
    dispatcher: CollectingDispatcher,
    domain: Mapping[str, Any],
    buttons: list[dict[str, str]] | None = None,
    custom: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The validate_<slot> return value; a rejected answer utters its specific re-ask."""
    if check.ok:
        return {slot: check.value}
    if custom:
        dispatcher.utter_message(text=text(domain, check.error or ""), buttons=buttons, json_message=custom)
    else:
        dispatcher.utter_message(text=text(domain, check.error or ""), buttons=buttons)
    return {slot: None}
