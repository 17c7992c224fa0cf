"""Human help inside the conversation: the dialogue's own actions that open handoff tickets.

- `action_leave_message`: the 留言 form (assistant/dialogue/forms.py HANDOFF) was confirmed: a ticket with the
  question, the call-back number and the conversation so far (masked, from the turn log).
- `action_call_staff`: 呼叫导服 at a hall kiosk: a ticket asking a staff member to come to kiosk N (the kiosk
  id is in the message's metadata, set by the kiosk page); outside the hall's hours, or off a kiosk, the
  applicant is offered the message instead.

They run in the dialogue (not on an action server) because tickets are the app's own service (HandoffDesk).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from actions.offload import Offload
from assistant.dialogue.messages import Button
from assistant.dialogue.responses import Responses
from assistant.dialogue.runner import LocalAction, Turn
from assistant.dialogue.turns import TurnLog, TurnRecord
from assistant.handoff.desk import HandoffDesk
from assistant.handoff.model import CALL_STAFF, MESSAGE, Line, Ticket
from knowledge.hours import HallStatus

LEAVE_MESSAGE = Button("留言", "/leave_message")
KIOSK_CHANNEL = "kiosk"
CARD_TITLES = {"answer_card": "办事指南", "readback": "信息核对", "receipt": "办件回执", "notice": "遗失公告",
               "handoff": "人工服务", "handoff_ticket": "人工服务", "multi_select": "请选择"}


class HandoffFlow:
    """Opens tickets for the dialogue; without a desk (a bare dialogue in tests) it says help is unavailable."""

    def __init__(self, desk: HandoffDesk | None, turns: TurnLog, responses: Responses,
                 blocking: Offload | None = None):
        self.desk = desk
        self.turns = turns
        self.responses = responses
        self.blocking = blocking  # the dialogue's pool for database calls (none: called right here)

    async def _db(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """A desk or turn-log call, off the event loop when the dialogue gave a pool."""
        if self.blocking is None:
            return fn(*args, **kwargs)
        return await self.blocking(fn, *args, **kwargs)

    def actions(self) -> dict[str, LocalAction]:
        """The local actions of the ActionRunner."""
        return {"action_leave_message": self.leave_message, "action_call_staff": self.call_staff}

    async def leave_message(self, turn: Turn) -> None:
        """Open a 留言 ticket from the confirmed form; say when staff will answer."""
        st = turn.state
        st.confirming = None
        question, phone = str(st.slots.get("handoff_question") or ""), str(st.slots.get("callback_phone") or "")
        for name in ("handoff_question", "callback_phone"):
            st.slots[name] = None
        if self.desk is None:
            turn.say(self.responses.render("utter_handoff_unavailable"))
            return
        records = await self._db(self.turns.for_sender, st.sender_id)
        ticket, _ = await self._db(self.desk.open, st.sender_id, MESSAGE, st.latest_channel, _kiosk_id(turn),
                                   question, phone, transcript(records))
        status = await self._db(self.desk.status, turn.now)
        values = {"number": ticket.number, "phone": ticket.masked_phone, "hours": status.hours,
                  "opens": status.opens(turn.now) or "下个工作日"}
        name = "utter_message_left_off_hours" if ticket.off_hours else "utter_message_left"
        turn.say(self.responses.render(name, values, custom=ticket_card(ticket, status, turn.now)))
        st.handoff = True  # the turn that asked for staff (转人工) is the one the inbox lists, not this one

    async def call_staff(self, turn: Turn) -> None:
        """Ask a staff member to come to this kiosk (once: a second tap says they are on their way)."""
        st = turn.state
        if self.desk is None:
            turn.say(self.responses.render("utter_handoff_unavailable"))
            return
        if not _at_kiosk(turn):
            turn.say(self.responses.render("utter_call_staff_not_kiosk", buttons=(LEAVE_MESSAGE,)))
            return
        status = await self._db(self.desk.status, turn.now)
        if status.open is False:
            values = {"hours": status.hours, "opens": status.opens(turn.now) or "下个工作日"}
            turn.say(self.responses.render("utter_call_staff_closed", values, buttons=(LEAVE_MESSAGE,)))
            return
        records = await self._db(self.turns.for_sender, st.sender_id)
        ticket, created = await self._db(self.desk.open, st.sender_id, CALL_STAFF, KIOSK_CHANNEL, _kiosk_id(turn),
                                         transcript=transcript(records))
        name = "utter_staff_called" if created else "utter_staff_already_called"
        turn.say(self.responses.render(name, {"number": ticket.number, "where": ticket.where},
                                       custom=ticket_card(ticket, status, turn.now)))
        st.handoff = True  # the turn that asked for staff (转人工) is the one the inbox lists, not this one


def ticket_card(ticket: Ticket, status: HallStatus, now: dt.datetime) -> dict[str, Any]:
    """The `handoff_ticket` card: the page shows it and polls for staff's answer while it is open."""
    return {"type": "handoff_ticket", "ticket_id": ticket.id, "number": ticket.number, "kind": ticket.kind,
            "status": ticket.status, "where": ticket.where, "phone": ticket.masked_phone,
            "off_hours": ticket.off_hours, "opens": status.opens(now) if ticket.off_hours else ""}


def transcript(records: list[TurnRecord]) -> list[Line]:
    """The conversation so far as staff read it (the turn log is masked already)."""
    lines: list[Line] = []
    previous: list[dict[str, Any]] = []
    for rec in records:
        at = rec.created_at.isoformat(timespec="seconds")
        lines.append(Line("user", _shown(rec.user_text, previous), at))
        lines += [Line("bot", text, at) for text in map(_message_line, rec.messages) if text]
        previous = rec.messages
    return lines


def _shown(text: str, previous: list[dict[str, Any]]) -> str:
    """A button's payload as the title the applicant tapped."""
    if not text.startswith("/"):
        return text
    for msg in previous:
        for b in msg.get("buttons") or []:
            if isinstance(b, dict) and b.get("payload") == text and b.get("title"):
                return f"（点击）{b['title']}"
    return f"（点击）{text}"


def _message_line(msg: dict[str, Any]) -> str:
    raw = msg.get("custom")
    custom: dict[str, Any] = raw if isinstance(raw, dict) else {}
    kind = str(custom.get("type") or "")
    text = str(msg.get("text") or "")
    if kind == "answer_card":
        return f"【{CARD_TITLES[kind]}】{custom.get('question') or ''}：{text}"
    if kind in CARD_TITLES and not text:
        return f"【{CARD_TITLES[kind]}】"
    return text


def _metadata(turn: Turn) -> dict[str, Any]:
    meta = turn.state.latest_message.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _at_kiosk(turn: Turn) -> bool:
    return turn.state.latest_channel == KIOSK_CHANNEL or _metadata(turn).get("face") == "kiosk"


def _kiosk_id(turn: Turn) -> str:
    value = _metadata(turn).get("kiosk")
    return str(value)[:32] if isinstance(value, str | int) and _at_kiosk(turn) else ""

