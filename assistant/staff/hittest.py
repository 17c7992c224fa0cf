"""The hit test (命中测试): what chat does with one question, by the very code path of the live chat.

The NLU details come from the live pipeline's `parse` (the dialogue's own parse hits the same cache); the
reply comes from the dialogue manager, called with a throwaway sender id that is reset afterwards, so no
conversation state and no turn is left behind.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from fastapi.concurrency import run_in_threadpool

from assistant.staff.services import Staff
from nlu.pipeline import Thresholds
from nlu.types import Focus, Match, ParseResult

CHANNEL = "hittest"
FOCUS_REASONS = {  # nlu/focus.py's reasons, for staff
    "follow-up": "没有说自己的事项，按对话焦点理解为追问",
    "same question, new subject": "同一个问题换了事项（如“那X呢”），按新事项回答",
    "handled by the focused service": "提到的证照由焦点事项办理（如遗失公告也受理这种许可证），按焦点理解",
    "names its own subject": "问题里有自己的事项，不沿用对话焦点",
    "not a question": "不是问题，不沿用对话焦点",
    "long message": "消息较长，按独立问题理解",
    "out of scope": "明显与政务无关，不沿用对话焦点",
    "not about the focused service": "与焦点事项的问答都不接近，不沿用对话焦点",
    "closer to another service": "与其他事项的问答明显更接近，不沿用对话焦点",
    "unknown service": "焦点事项不存在",
    "no entries": "焦点事项没有问答",
}


MATCH_LABELS = {"answer": "直接答复得分最高的问答", "clarify": "列出几个相近问答请对方选择（您是想问）",
                "none": "知识库没有能回答的问答：如实转介（部门、12345、导服台、转人工）"}


def explain(th: Thresholds, intent: str, top_score: float, match: Match | None = None) -> str:
    """One sentence on why chat decided as it did."""
    if match is not None and (intent == "ask_service" or match.refusal or match.region):
        return f"可答性判定：{match.decision}，{MATCH_LABELS.get(match.decision, '')}。依据：{match.why}。"
    if intent == "ask_service":
        return f"判定为咨询事项：答复得分最高的问答（{top_score:.2f}，阈值 {th.retrieval_min:.2f}）。"
    if intent == "out_of_scope":
        return (f"判定为无法回答：意图置信度低于 {th.fallback:.2f} 或知识库最高分低于 {th.retrieval_min:.2f}，"
                "将给出兜底回复。")
    return f"判定为意图“{intent}”，按对话流程处理。"


def focus_view(parse: ParseResult, names: dict[str, str]) -> dict[str, Any] | None:
    """How the topic in focus was used, for the console."""
    use = parse.focus
    if use is None:
        return None
    name = names.get(use.focus.service_id, use.focus.service_id)
    return {**use.to_wire(), "service_name": name, "explain": FOCUS_REASONS.get(use.reason, use.reason),
            "resolved_service_name": names.get(use.service_id or "", use.service_id)}


async def hit_test(staff: Staff, text: str, focus: Focus | None = None) -> dict[str, Any]:
    """Everything the console shows for one question, optionally as a follow-up on a topic in focus."""
    text = text.strip()
    snap = staff.live.current
    parse = await run_in_threadpool(snap.nlu.parse, text, staff.today(), focus)
    names = {i.id: i.name for i in snap.kb.items.values()}
    dm = staff.dialogue
    sender = f"{CHANNEL}-{uuid.uuid4().hex}"
    try:
        result = await dm.handle(sender, text, channel=CHANNEL, focus=focus)
        reply = [m.to_wire(sender) for m in result.messages]
    finally:
        await run_in_threadpool(dm.reset, sender)
    th = snap.nlu.thresholds
    top = parse.ranking[0].score if parse.ranking else 0.0
    return {
        "text": parse.text,
        "normalized": parse.normalized,
        "intent": {"name": parse.intent.name, "confidence": round(float(parse.intent.confidence), 4)},
        "raw_intent": parse.raw_intent,
        "intent_ranking": [{"name": i.name, "confidence": round(float(i.confidence), 4)} for i in parse.intent_ranking[:8]],
        "entities": [{**asdict(e), "text": parse.text[e.start:e.end]} for e in parse.entities],
        "ranking": [
            {"faq_id": h.faq_id, "service_id": h.service_id, "service_name": names.get(h.service_id, h.service_id),
             "question": h.question, "score": round(float(h.score), 4), "dense": round(float(h.dense), 4),
             "lexical": round(float(h.lexical), 4), "boost": round(float(h.boost), 4), "matched": h.matched}
            for h in parse.ranking
        ],
        "thresholds": {"fallback": th.fallback, "filing": th.filing, "retrieval_min": th.retrieval_min,
                       "retrieval_rescue": th.retrieval_rescue},
        "timings_ms": parse.timings_ms,
        "explain": explain(th, parse.intent.name, top, parse.match),
        "match": parse.match.to_wire() if parse.match else None,
        "focus": focus_view(parse, names),
        "parts": [{"text": p.parse.text, "intent": p.parse.intent.name,
                   "faq_id": p.parse.ranking[0].faq_id if p.parse.ranking else None,
                   "service_name": names.get(p.parse.ranking[0].service_id, "") if p.parse.ranking else "",
                   "focus": focus_view(p.parse, names)} for p in parse.parts],
        "reply": reply,
        "dialogue": True,
    }
