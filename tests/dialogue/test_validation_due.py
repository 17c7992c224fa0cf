"""我们的校验什么时候到期: the institution identifies itself (登记号 + phone last-4) and hears its due date, the
days left, a waiting chat reminder first, and a 开始办理 button within three months; strangers learn nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from actions.filings.institutions import InstitutionRegistry
from actions.reminders.config import ReminderSettings
from actions.reminders.service import ReminderService
from tests.reminders.conftest import roster

ROWS = [("康宁诊所", "PDY00000137021117D2152", "2027-01-10", "13800001234", ""),  # 51 days after 2026-11-20
        ("海青卫生室", "PDY00000337021117D2152", "2027-06-30", "13900005678", "")]


def say(dm: Any, text: str, sender: str = "clinic") -> tuple[str, list[dict[str, Any]]]:
    result = asyncio.run(dm.handle(sender, text))
    wire = result.to_wire()
    texts = "\n".join(str(m.get("text", "")) for m in wire)
    return texts, [b for m in wire for b in m.get("buttons", [])]


def test_due_question_answered_for_the_identified_institution(dm: Any, filings: Any) -> None:
    registry = InstitutionRegistry(filings)
    registry.commit_import(registry.preview_import("r.csv", roster(ROWS), "staff").id, "staff")
    ReminderService(filings, ReminderSettings(smtp_host="", sms_webhook_url=""), channels={}).daily_pass()

    texts, _ = say(dm, "我们的校验什么时候到期")
    assert "登记号" in texts
    texts, _ = say(dm, "PDY00000137021117D2152")
    assert "后四位" in texts
    texts, buttons = say(dm, "1234")
    assert texts.index("【到期提醒】") < texts.index("还有51天")  # the waiting reminder is told first
    assert "2027年1月10日" in texts
    [start] = [b for b in buttons if b["title"] == "开始办理"]
    assert start["payload"].startswith("/start_medical_validation")
    assert json.loads(start["payload"][len("/start_medical_validation"):])["registration_number"] == ROWS[0][1]
    texts, _ = say(dm, start["payload"])  # the form starts with the institution's name and 登记号 filled in
    assert "医疗机构校验" in texts and "登记号" not in texts and "机构名称" not in texts

    texts, _ = say(dm, "我们的校验什么时候到期", sender="other")
    say(dm, "PDY00000137021117D2152", sender="other")
    texts, buttons = say(dm, "1234", sender="other")
    assert "【到期提醒】" not in texts and "还有51天" in texts  # told once

    say(dm, "我们机构下次校验是什么时候", sender="later")
    say(dm, "PDY00000337021117D2152", sender="later")
    texts, buttons = say(dm, "5678", sender="later")
    assert "2027年6月30日" in texts and "2027年3月30日起" in texts and not buttons


def test_a_wrong_phone_tells_nothing(dm: Any, filings: Any) -> None:
    registry = InstitutionRegistry(filings)
    registry.commit_import(registry.preview_import("r.csv", roster(ROWS), "staff").id, "staff")
    say(dm, "我们的校验什么时候到期")
    say(dm, "PDY00000137021117D2152")
    texts, buttons = say(dm, "9999")
    assert "没有找到匹配的医疗机构" in texts and "2027" not in texts and not buttons
    say(dm, "我们的校验什么时候到期")
    say(dm, "PDY99999937021117D2152")  # unknown: the same answer
    texts, _ = say(dm, "1234")
    assert "没有找到匹配的医疗机构" in texts
