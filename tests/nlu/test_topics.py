"""nlu/topics.py: a question about the institution's own validation due date is told apart from a filing's
progress and from questions about the procedure (examples written for this test, not from the eval sets)."""

from __future__ import annotations

import pytest

from nlu.normalize import normalize
from nlu.topics import VALIDATION_DUE, topic


@pytest.mark.parametrize("text", [
    "我们的校验什么时候到期", "我们诊所的执业许可证什么时候到期", "校验期还有几天到期", "我们机构下次校验是什么时候",
    "我们是不是该校验了", "我们的执业许可证过期了吗", "校验到期日是哪天", "咱们门诊部许可证有效期到哪天",
    "我們的校驗什麼時候到期",
])
def test_due_questions(text: str) -> None:
    assert topic(normalize(text).text) == VALIDATION_DUE


@pytest.mark.parametrize("text", [
    "我的校验申请到哪了", "医疗机构校验要带什么材料", "校验申请审核通过了吗", "食品经营许可证什么时候到期",
    "什么时候上班", "医疗机构校验多久能办完", "校验结果在哪里公示",
])
def test_other_questions(text: str) -> None:
    assert topic(normalize(text).text) == ""
