"""An unanswered question (the honest referral) reaches the staff inbox, its personal data masked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


def test_a_referral_reaches_the_staff_inbox_masked(make_dm: Callable[..., Any], e5_pipeline: Any) -> None:
    dm = make_dm(pipeline=e5_pipeline)
    result = asyncio.run(dm.handle("citizen-1", "我的身份证丢了，电话13812345678，要怎么补办"))
    assert any(m.custom and m.custom.get("type") == "referral" for m in result.messages)
    assert not any(b.title == "开始办理" for m in result.messages for b in m.buttons)
    inbox = dm.turns.needing_review()
    assert [t.sender_id for t in inbox] == ["citizen-1"]
    assert inbox[0].fallback
    assert "13812345678" not in inbox[0].user_text and "138****5678" in inbox[0].user_text
