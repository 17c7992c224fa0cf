"""Bot messages as Rasa's socket.io events, Markdown safety for rasa-webchat, the origin policy (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.channels.socketio import (
    CHOOSE,
    FAILED,
    STARTING,
    OriginPolicy,
    SocketIOChannel,
    WireOptions,
    allowed_origins,
    md_escape,
    md_link,
    to_events,
)
from assistant.dialogue.messages import BotMessage, Button, TurnResult
from assistant.settings import Settings
from tests.socketio.sioclient import run


def test_text_and_buttons_become_quick_replies() -> None:
    msg = BotMessage("遗失的是哪种许可证？", (Button("食品经营许可证", '/inform{"license_type": "食品经营许可证"}'),))
    assert to_events(msg) == [{
        "text": "遗失的是哪种许可证？",
        "quick_replies": [{"content_type": "text", "title": "食品经营许可证",
                           "payload": '/inform{"license_type": "食品经营许可证"}'}],
    }]
    assert to_events(BotMessage(None, (Button("确认", "/affirm"),))) == [
        {"text": CHOOSE, "quick_replies": [{"content_type": "text", "title": "确认", "payload": "/affirm"}]}]


def test_parts_in_rasas_order_custom_as_is_image_as_attachment() -> None:
    custom = {"type": "receipt", "filing_id": "LN20250618001", "kind": "lost_notice", "status": "submitted"}
    msg = BotMessage("提交成功！", (), "https://example.cn/a.png", custom)
    events = to_events(msg)
    assert events == [
        {"text": "提交成功！"},
        custom,
        {"attachment": {"type": "image", "payload": {"src": "https://example.cn/a.png"}}},
    ]
    assert events[1] is not custom  # a copy: emitting never changes the dialogue's message
    assert to_events(BotMessage(custom={"type": "unknown_widget", "x": 1})) == [{"type": "unknown_widget", "x": 1}]


def test_answer_card_guide_is_readable_text_too() -> None:
    card = {
        "type": "answer_card", "service_id": "s", "faq_id": "s/overview", "question": "怎么办理？", "answer": "先登记。",
        "materials": [{"name": "营业执照", "form": "copy", "copies": 1, "notes": "", "required_when": None},
                      {"name": "授权委托书", "form": "original", "copies": 1, "notes": "", "required_when": "委托办理的"}],
        "steps": [{"title": "提交", "detail": "..."}, {"title": "审核", "detail": "..."}],
        "time_limit": {"statutory_days": 20, "promised_days": 5, "notes": None},
        "where": {"zone": "二楼", "window": "3号窗口", "address": "某路1号"},
        "online_entry": {"name": "网上办理入口", "url": "https://www.shandong.gov.cn/"},
        "hours": "周一至周五", "phone": "0532-00000000",
    }
    first, same = to_events(BotMessage("先登记。", (Button("开始办理", "/start_lost_notice"),), custom=card))
    text = first["text"]
    assert text.startswith("先登记。\n\n**所需材料**")
    for part in ("1\\. 营业执照", "2\\. 授权委托书（委托办理的）", "**办理流程**：提交 → 审核", "**办理时限**：承诺5个工作日",
                 "**办理地点**：某路1号 二楼 3号窗口", "**网上办理**：[网上办理入口](https://www.shandong.gov.cn/)"):
        assert part in text
    assert same == card
    # Without text the answer itself leads; with card_text off the text is the message's own.
    assert to_events(BotMessage(custom={**card, "materials": [], "steps": []}))[0]["text"].startswith("先登记。")
    plain = to_events(BotMessage("先登记。", custom=card), WireOptions(card_text=False))
    assert plain[0] == {"text": "先登记。"}
    raw = to_events(BotMessage("先登记。", custom=card), WireOptions(markdown=False))[0]["text"]
    assert raw.startswith("先登记。\n\n所需材料\n1. 营业执照\n2. 授权委托书（委托办理的）\n\n办理流程：提交 → 审核")
    assert "网上办理：网上办理入口：https://www.shandong.gov.cn/" in raw and "*" not in raw and "\\" not in raw


def test_other_cards_add_what_the_text_lacks() -> None:
    multi = {"type": "multi_select", "slot": "validation_items", "min": 1,
             "options": [{"title": "医疗机构执业许可证", "value": "a"}, {"title": "放射诊疗许可证", "value": "b"}]}
    assert "医疗机构执业许可证、放射诊疗许可证" in to_events(BotMessage("要校验哪些项目？", custom=multi))[0]["text"]
    readback = {"type": "readback", "form": "f", "fields": [{"slot": "company_name", "label": "单位名称", "value": "某公司"}]}
    assert to_events(BotMessage(custom=readback))[0] == {"text": "**单位名称**：某公司"}
    assert to_events(BotMessage("请核对：单位名称：某公司", custom=readback))[0] == {"text": "请核对：单位名称：某公司"}
    notice = {"type": "notice", "number": "GS1", "company_name": "某公司", "url": "javascript:alert(1)"}
    assert "javascript" not in to_events(BotMessage("找到1条公告", custom=notice))[0]["text"]
    plain = to_events(BotMessage("要校验哪些项目？", custom=multi), WireOptions(markdown=False))[0]["text"]
    assert "**" not in plain and "\\" not in plain and "放射诊疗许可证" in plain


def test_markdown_escape_keeps_plain_text_plain() -> None:
    # Our texts are plain; rasa-webchat renders Markdown and does not filter link targets.
    hostile = "[点我](javascript:alert(1)) ![x](http://evil/x.png) *粗* _斜_ `code`"
    escaped = md_escape(hostile)
    assert "\\[点我\\](javascript:alert(1))" in escaped and "!\\[x\\]" in escaped
    assert "\\*粗\\*" in escaped and "\\_斜\\_" in escaped and "\\`code\\`" in escaped
    assert md_escape("单位名称：某公司\n联系人：张海") == "单位名称：某公司  \n联系人：张海"  # line breaks kept
    assert md_escape("1. 第一步\n- 列表\n# 标题\n> 引用") == "1\\. 第一步  \n\\- 列表  \n\\# 标题  \n\\> 引用"
    assert md_escape("详见 https://www.shandong.gov.cn/a_b_c 。") == "详见 https://www.shandong.gov.cn/a_b_c 。"
    assert md_link("入口", "javascript:alert(1)") is None
    assert md_link("入口(新)", "https://a.cn/x y(1)") == "[入口(新)](https://a.cn/x%20y%281%29)"
    assert to_events(BotMessage("a_b"), WireOptions(markdown=False)) == [{"text": "a_b"}]


def test_origin_policy() -> None:
    policy = OriginPolicy(["https://portal.example.cn", "http://127.0.0.1:*", " "])
    environ = {"HTTP_HOST": "lingling.example.cn", "wsgi.url_scheme": "https"}
    assert policy(None, environ) and policy("", environ)  # not a browser
    assert policy("https://lingling.example.cn", environ)  # same origin
    assert policy("https://portal.example.cn/", environ)
    assert policy("http://127.0.0.1:8080", environ) and not policy("http://127.0.0.1", environ)
    assert not policy("https://portal.example.cn.evil.cn", environ) and not policy("http://127.0.0.1.evil.cn:80", environ)
    assert not policy("null", environ) and not policy("https://lingling.example.cn", {"HTTP_HOST": "other"})
    assert OriginPolicy(["*"])("https://anyone.example", environ)
    assert allowed_origins(Settings(env="test"), "https://a.cn, https://b.cn") == [
        "https://a.cn", "https://b.cn", "http://127.0.0.1:*", "http://localhost:*"]
    assert allowed_origins(Settings(env="production", secret_key="s3cret-for-test"), "") == []


class _FailingDialogue:
    async def handle(self, *args: Any, **kwargs: Any) -> TurnResult:
        raise RuntimeError("database down")


@pytest.mark.parametrize(("dialogue", "text"), [(None, STARTING), (_FailingDialogue(), FAILED)])
def test_unavailable_dialogue_answers_in_chinese(dialogue: Any, text: str) -> None:
    channel = SocketIOChannel(lambda: dialogue)
    assert run(channel._answer("s1", "你好", None)) == [{"text": text}]
