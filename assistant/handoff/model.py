"""What the desk hands out: tickets, replies, their labels and the desk's one error."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from assistant.privacy.masking import mask_text

MESSAGE, CALL_STAFF = "message", "call_staff"
KIND_LABELS = {MESSAGE: "留言", CALL_STAFF: "呼叫导服"}
OPEN, CLAIMED, CLOSED = "open", "claimed", "closed"
STATUS_LABELS = {OPEN: "等待处理", CLAIMED: "处理中", CLOSED: "已结束"}
OUTCOMES = {  # outcome -> (label for staff, what the applicant is told when staff close without a message)
    "answered": ("已在线答复", "工作人员已答复您的问题，本次人工服务已结束。如还有疑问，可以继续问灵灵或再次留言。"),
    "called_back": ("已电话回复", "工作人员已通过电话与您联系，本次留言已处理完毕。"),
    "visited": ("已到现场协助", "导服人员已到现场为您服务，本次呼叫已结束。"),
    "no_answer": ("回电未接通", "工作人员按您留下的电话回电未能接通，本次留言已结束。如仍需帮助，请再次留言，"
                               "或拨打 12345 政务服务便民热线。"),
    "invalid": ("无需处理", "本次人工服务已结束。如仍需帮助，可以再次留言。"),
}
OUTCOME_LABELS = {k: v[0] for k, v in OUTCOMES.items()}
CHANNEL_LABELS = {"web": "网站", "kiosk": "自助终端", "socketio": "网页对话组件", "rest": "接口"}
REPLY, STATUS = "reply", "status"
MAX_REPLY_CHARS = 1000
HOTLINE = "12345"  # 政务服务便民热线, the public number for everything the hall cannot answer at once


class AuditSink(Protocol):
    """Where every change of a ticket is written (the staff console's audit log)."""

    def record(self, actor: str, action: str, target: str = "", before: Any = None, after: Any = None,
               ip: str = "") -> None: ...


class HandoffError(Exception):
    """A ticket operation that cannot be done; `message` is for staff (Chinese), `status` the HTTP status."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Line:
    """One line of the conversation so far (personal data masked)."""

    role: str  # user | bot
    text: str
    at: str = ""  # ISO time

    @property
    def who(self) -> str:
        return "群众" if self.role == "user" else "灵灵"


@dataclass(frozen=True)
class Ticket:
    """A request for human help."""

    id: int
    sender_id: str
    kind: str
    status: str
    outcome: str | None
    channel: str
    kiosk_id: str
    question: str
    callback_phone: str
    transcript: tuple[Line, ...]
    off_hours: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    claimed_by: str = ""
    claimed_at: dt.datetime | None = None
    closed_by: str = ""
    closed_at: dt.datetime | None = None
    note: str = ""

    @property
    def number(self) -> str:
        """What people read and say: No. 12."""
        return f"No.{self.id}"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome or "", "")

    @property
    def is_open(self) -> bool:
        return self.status != CLOSED

    @property
    def where(self) -> str:
        """Where the applicant is: 3号自助终端, 网站 ..."""
        if self.channel == "kiosk":
            return f"{self.kiosk_id}号自助终端" if self.kiosk_id else "自助终端（未配置编号）"
        return CHANNEL_LABELS.get(self.channel, self.channel or "未知")

    @property
    def masked_phone(self) -> str:
        return mask_text(self.callback_phone) if self.callback_phone else ""

    def waiting(self, now: dt.datetime) -> dt.timedelta:
        """How long the applicant has waited (until closed)."""
        return (self.closed_at or now) - self.created_at

    def waiting_label(self, now: dt.datetime) -> str:
        minutes = int(self.waiting(now).total_seconds() // 60)
        if minutes < 1:
            return "不到 1 分钟"
        if minutes < 60:
            return f"{minutes} 分钟"
        hours, minutes = divmod(minutes, 60)
        if hours < 24:
            return f"{hours} 小时 {minutes} 分钟"
        return f"{hours // 24} 天 {hours % 24} 小时"

    def summary(self) -> dict[str, Any]:
        """JSON-safe, personal data masked: the queue's row and the audit log's before/after."""
        return {"id": self.id, "kind": self.kind, "status": self.status, "outcome": self.outcome,
                "channel": self.channel, "kiosk_id": self.kiosk_id, "off_hours": self.off_hours,
                "phone": self.masked_phone, "claimed_by": self.claimed_by, "closed_by": self.closed_by}


@dataclass(frozen=True)
class Reply:
    """What the applicant is told: staff's words (reply) or a change of the ticket (status)."""

    id: int
    ticket_id: int
    sender_id: str
    kind: str
    author: str
    text: str
    created_at: dt.datetime
    closed: bool = False  # this reply ended the ticket

    def to_wire(self) -> dict[str, Any]:
        """A bot message in Rasa REST shape, as the chat doors send it."""
        shown = f"工作人员回复：{self.text}" if self.kind == REPLY else self.text
        return {"recipient_id": self.sender_id, "text": shown, "custom": {
            "type": "staff_reply", "ticket_id": self.ticket_id, "reply_id": self.id, "kind": self.kind,
            "body": self.text, "at": self.created_at.isoformat(timespec="seconds"), "closed": self.closed}}
