"""Documents a message names as lost, and whether the loss-notice service accepts them.

The lost-license notice (knowledge item license-loss-notice) accepts only the license types the knowledge base
lists (`KnowledgeBase.license_types()`, names and aliases). A message about losing any other document ("银行卡丢了",
"毕业证书丢了怎么补") must get a referral, never the notice's 开始办理 button; the referral directory names the
common ones (身份证, 驾驶证 …), this finds the rest. A generic word ("证件", "许可证", "执照") names none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A document word: a run of letters ending in a document suffix ("医保卡", "毕业证书", "KTV许可证").
_DOC = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]*?(?:证书|证件|证明|执照|证|卡)")
# Being lost or reissued: what the notice is for.
_LOSS = re.compile(r"丢|遗失|掉了|弄没|找不到|不见|补办|补领|补发|补证|挂失|登报|作废")
# Function words and verbs that end the word before a document suffix ("我的|医保卡", "怎么补|证",
# "我说的是|营业执照").
_BREAK = re.compile(r"[的了我你他她它咱把将在个张这那们和与及或也还都被让给补办换领拿丢掉找要想怎么请问吗呢啊是说就，。,.!！?？、\s]")
# Verbs of the filing itself that may stand right before the document word ("登记|许可证遗失", "办理|执照补办"):
# they end a word too.
_VERBS = re.compile(r"登记|申请|办理|注销|公告|发布|声明|查询|遗失|丢失|补领|补发|挂失|重新|重办")
GENERIC = frozenset({"证", "卡", "证书", "证件", "证明", "执照", "许可证", "证照", "经营许可证", "营业许可证", "原证"})


class DocumentCheck:
    """Tells which named document the loss notice does not accept."""

    def __init__(self, accepted: Iterable[str]):
        self.accepted = tuple(sorted({a for a in accepted if a}, key=len, reverse=True))

    def foreign(self, text: str) -> str | None:
        """The first document the text names as lost that is not an accepted license type, else None."""
        if not _LOSS.search(text):
            return None
        for m in _DOC.finditer(_VERBS.sub(" ", text)):
            word = _BREAK.split(m.group(0))[-1]
            if not word or word in GENERIC:
                continue
            if any(word.endswith(a) or a.endswith(word) for a in self.accepted):
                continue
            return word
        return None
