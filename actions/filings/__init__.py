"""Filing records (lost-license notices, medical validations): SQLAlchemy 2 tables, Alembic migrations,
state machines and `FilingStore`, the one API the actions, the CLI and the web pages use."""

from actions.filings.errors import (
    FilingError,
    FilingNotFound,
    FontMissing,
    IdempotencyConflict,
    InvalidData,
    InvalidTransition,
    ItemsUndecided,
    LookupLimited,
    NoticeNotFound,
    NotResubmittable,
    SequenceExhausted,
    UnknownItem,
    WrongKind,
)
from actions.filings.notice_search import NoticeQuery, parse_query
from actions.filings.reminders import LogNotifier
from actions.filings.states import ITEM_LABELS, LOST_NOTICE, MEDICAL_VALIDATION, STATUS_LABELS
from actions.filings.store import FilingStore
from actions.filings.types import (
    FilingView,
    LostNoticeData,
    NoticeView,
    Notifier,
    Reminder,
    TransitionRecord,
    ValidationData,
)

__all__ = [
    "ITEM_LABELS",
    "LOST_NOTICE",
    "MEDICAL_VALIDATION",
    "STATUS_LABELS",
    "FilingError",
    "FilingNotFound",
    "FilingStore",
    "FilingView",
    "FontMissing",
    "IdempotencyConflict",
    "InvalidData",
    "InvalidTransition",
    "ItemsUndecided",
    "LogNotifier",
    "LookupLimited",
    "LostNoticeData",
    "NoticeNotFound",
    "NoticeQuery",
    "NoticeView",
    "NotResubmittable",
    "Notifier",
    "Reminder",
    "SequenceExhausted",
    "TransitionRecord",
    "UnknownItem",
    "ValidationData",
    "WrongKind",
    "parse_query",
]
