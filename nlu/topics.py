"""What a question about one's own record is about: the institution's validation due date (校验什么时候到期) or
a filing's progress. The classifier says *that* a person asks about their own record (check_status, or a service
question); this says *which* record, from the normalised text, so the dialogue can ask for the right proof
(登记号 + phone last-4 for the due date, the filing reference for progress).

A due-date question names the validation or the license's period and asks when it ends; a question about an
application's progress (校验申请到哪了) or the procedure in general (校验要带什么材料) is not one.
"""

from __future__ import annotations

import re

VALIDATION_DUE = "validation_due"

# the subject: the validation, the practice license, its validity period
_SUBJECT = re.compile(r"校验|校驗|执业许可证|執業許可證|执业证|(医疗机构|诊所|医院|门诊部|卫生室|卫生院|药房).{0,8}(许可证|有效期)")
# asking when it ends / how long is left / whether it is due
_WHEN = re.compile(
    r"(什么时候|啥时候|哪天|几号|几月|多久|还有几天|还剩|剩几天|剩多少天|到哪天|截止).{0,8}(到期|过期|届满|截止|结束|失效|该|需要|要)"
    r"|(到期|过期|届满|失效)(了没|了吗|没有|吗|日|时间|日期|是哪天|是什么时候)"
    r"|(到期|届满)(还有|还剩)"
    r"|(该|需要|得)(做|办|去)?校验了"
    r"|(下次|下一次|下回)(校验|校驗).{0,6}(什么时候|啥时候|哪天|哪年)"
    r"|有效期(到|至)(哪天|什么时候|几号|啥时候)"
    r"|校验期.{0,4}(到哪|多久|还有|还剩|是哪|是什么时候)"
)
# about an application's progress, not the period
_PROGRESS = re.compile(r"申请.{0,4}(到哪|进度|结果|审核|通过)|审核|进度|办结|受理编号")


def topic(normalized: str) -> str:
    """VALIDATION_DUE when the text asks when the (own) validation period ends; '' otherwise."""
    text = normalized.replace(" ", "")
    if not _SUBJECT.search(text) or _PROGRESS.search(text):
        return ""
    return VALIDATION_DUE if _WHEN.search(text) else ""
