"""The staff console's routes under /admin (included by assistant/app.py, in this order)."""

from __future__ import annotations

from assistant.staff.routes import (
    account,
    analytics,
    editor,
    filings,
    handoff,
    inbox,
    knowledge,
    tools,
    transfer,
    users,
    validation,
)

ROUTERS = tuple(m.router for m in (account, transfer, knowledge, editor, tools, filings, validation, handoff, inbox,
                                   analytics, users))
