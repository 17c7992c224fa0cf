"""The inputs of `make fuzz` (benchmarks/fuzz.py): seeded, reproducible, hostile and odd requests for each chat door.

Every door gets a mix of (a) well-formed requests whose text is anything — any code point (lone surrogates,
control characters, NUL, emoji, RTL marks), Rasa payloads with random and deeply nested JSON, texts at and over
the length limit, entity-rich texts, form answers in the middle of a filing — and (b) malformed requests: wrong
types and missing fields, JSON nested up to 1,000 deep, raw lone-surrogate and other non-UTF-8 bytes, truncated
or binary bodies, other content types. The same generator feeds the small in-suite test (tests/security).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

DOORS = ("rest", "api_chat", "parse", "webhook", "socketio")
PATHS = {"rest": "/webhooks/rest/webhook", "api_chat": "/api/chat", "parse": "/model/parse", "webhook": "/webhook"}
ACTIONS = ("action_submit_lost_notice", "validate_lost_notice_form", "action_answer_faq", "action_check_status",
           "action_search_notice", "validate_medical_validation_form", "action_submit_medical_validation",
           "validate_status_form", "action_human_handoff", "action_ask_license_type", "nope", "")
INTENTS = ("start_lost_notice", "start_medical_validation", "inform", "affirm", "deny", "correct", "ask_faq",
           "check_status", "search_notice", "restart", "human_handoff", "greet", "x")
ODD = (
    "😀👨‍👩‍👧‍👦🇨🇳", "\x00\x01\x1b[31m\x7f", "食品经营许可证 lost 了怎么办 пожалуйста ☎", "\u202eRTL\u202c", "\ufeff\u200b\u200d",
    "\ud800", "\udfff孤立代理项", "/inform{", "'); DROP TABLE turns;--", "<script>alert(1)</script>", "%s%s%n",
    "${jndi:ldap://x}", "\\u0000", " " * 50, "。" * 500, "2025年1月1日" * 50, "a " * 900, "编号 123456789012345 " * 60,
    "食品经营许可证丢了怎么补办", "医疗机构校验要多久", "确认提交", "取消", "91370211MA3C1234XN", "13812345678", "昨天",
    "LN20261120001", "青岛明远餐饮有限公司", "%0A%0D\r\n2026-01-01 INFO forged", "\x00" * 10,
)
RANGES = ((0x0, 0x7F), (0x80, 0x2FF), (0x4E00, 0x9FFF), (0xD800, 0xDFFF), (0x1F300, 0x1FAFF), (0x200B, 0x202E),
          (0xFF00, 0xFFEF), (0xE000, 0xF8FF), (0x3000, 0x303F))


@dataclass(frozen=True)
class HttpCase:
    """One HTTP request: what it is (for the report), the door, headers and the raw body."""

    kind: str
    door: str
    body: bytes
    content_type: str | None = "application/json"


@dataclass(frozen=True)
class SocketCase:
    """One socket.io event: `event` with `data` (None: no data)."""

    kind: str
    event: str
    data: Any


def text(rng: random.Random, limit: int = 2000) -> str:
    """Any text a client might send."""
    pick = rng.random()
    if pick < 0.35:
        lo, hi = rng.choice(RANGES)
        return "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(0, 80)))
    if pick < 0.55:
        return rng.choice(ODD)
    if pick < 0.7:
        return payload(rng)
    if pick < 0.8:
        unit = rng.choice(ODD) or "a"
        return (unit * (limit // len(unit) + 2))[: limit + rng.choice((-1, 0, 1, 5))]
    return "".join(rng.choice(ODD) for _ in range(rng.randint(1, 4)))


def payload(rng: random.Random) -> str:
    """A Rasa payload: /intent{json}, with random, broken or deeply nested JSON."""
    intent = rng.choice(INTENTS)
    pick = rng.random()
    if pick < 0.3:
        return f"/{intent}"
    if pick < 0.5:
        depth = rng.choice((3, 10, 50, 300, 900))
        return f'/{intent}{{"company_name": ' + "[" * depth + "]" * depth + "}"
    if pick < 0.6:
        return f"/{intent}{{" + "".join(rng.choice('"{}[]:,\\u0') for _ in range(rng.randint(0, 40)))
    return f"/{intent}" + json.dumps({rng.choice(("company_name", "uscc", "license_type", "validation_items", "x")):
                                      value(rng, 3)}, ensure_ascii=rng.random() < 0.5)


def value(rng: random.Random, depth: int = 4) -> Any:
    """A random JSON value."""
    pick = rng.random()
    if depth <= 0 or pick < 0.45:
        return rng.choice((None, True, False, 0, -1, 2**63, 3.5, 1e308, "", text(rng, 200)))
    if pick < 0.7:
        return [value(rng, depth - 1) for _ in range(rng.randint(0, 4))]
    return {text(rng, 20)[:20]: value(rng, depth - 1) for _ in range(rng.randint(0, 4))}


def sender(rng: random.Random, pool: list[str]) -> Any:
    pick = rng.random()
    if pick < 0.7:
        return rng.choice(pool)  # conversations that go on (forms in progress)
    if pick < 0.85:
        return text(rng, 200)[:200]
    return value(rng, 2)


def encode(rng: random.Random, obj: Any) -> bytes:
    """JSON bytes, sometimes with raw (not escaped) lone surrogates, sometimes damaged."""
    if rng.random() < 0.5:
        raw = json.dumps(obj).encode()
    else:
        raw = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")
    pick = rng.random()
    if pick < 0.04:
        return raw[: rng.randint(0, len(raw))]
    if pick < 0.07:
        at = rng.randint(0, len(raw))
        return raw[:at] + rng.choice((b"\xed\xa0\x80", b"\xff\xfe", b"\x00", b"\xc0\xaf")) + raw[at:]
    return raw


def deep(rng: random.Random) -> bytes:
    n = rng.choice((40, 300, 1000, 5000))
    return rng.choice((b"[" * n + b"]" * n, b'{"a":' * n + b"1" + b"}" * n, b"[" * n))


def http_cases(door: str, n: int, seed: int = 15) -> Iterator[HttpCase]:
    """`n` requests for an HTTP door."""
    rng = random.Random(f"{seed}-{door}")
    pool = [f"fuzz{door}{i:04d}abcdef" for i in range(40)]
    for _ in range(n):
        pick = rng.random()
        if pick < 0.08:
            yield HttpCase("deep json", door, deep(rng))
            continue
        if pick < 0.12:
            yield HttpCase("bytes", door, bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 200))),
                           rng.choice(("application/json", "text/plain", None, "application/x-www-form-urlencoded")))
            continue
        if pick < 0.16:
            yield HttpCase("any json", door, encode(rng, value(rng, 5)))
            continue
        if door == "rest":
            obj: dict[str, Any] = {"sender": sender(rng, pool), "message": text(rng)}
            if rng.random() < 0.2:
                obj["metadata"] = value(rng, 4)
        elif door == "api_chat":
            obj = {"sender": rng.choice(pool) if rng.random() < 0.8 else sender(rng, pool), "message": text(rng),
                   "face": rng.choice(("portal", "kiosk", "x"))}
        elif door == "parse":
            obj = {"text": text(rng)}
        else:
            obj = webhook_call(rng, pool)
        for key in list(obj):
            if rng.random() < 0.05:
                del obj[key]
            elif rng.random() < 0.05:
                obj[key] = value(rng, 2)
        yield HttpCase("message", door, encode(rng, obj))


def webhook_call(rng: random.Random, pool: list[str]) -> dict[str, Any]:
    """A rasa-sdk action call with fuzzed slots, latest message and domain."""
    slots = {name: (text(rng, 100) if rng.random() < 0.7 else value(rng, 3))
             for name in ("company_name", "uscc", "license_type", "license_number", "lost_date", "contact_phone",
                          "filing_id", "phone_last4", "notice_query", "validation_items", "requested_slot")
             if rng.random() < 0.5}
    tracker = {"sender_id": rng.choice(pool), "slots": slots, "events": [], "paused": False,
               "latest_message": {"text": text(rng), "intent": {"name": rng.choice(INTENTS)}, "entities": []},
               "followup_action": None, "active_loop": {"name": rng.choice(("lost_notice_form", None, "x"))},
               "latest_action_name": None}
    return {"next_action": rng.choice(ACTIONS), "sender_id": tracker["sender_id"], "tracker": tracker,
            "domain": value(rng, 3) if rng.random() < 0.1 else {}, "version": "3.6.0"}


def socket_cases(n: int, seed: int = 15) -> Iterator[SocketCase]:
    """`n` socket.io events: mostly user messages of a confirmed session, the rest malformed."""
    rng = random.Random(f"{seed}-socketio")
    for _ in range(n):
        pick = rng.random()
        if pick < 0.8:
            data: Any = {"message": text(rng), "session_id": None}  # the runner puts its session id in
            if rng.random() < 0.2:
                data["customData"] = value(rng, 4) if rng.random() < 0.9 else json.loads("[" * 100 + "]" * 100)
            yield SocketCase("message", "user_uttered", data)
        elif pick < 0.9:
            yield SocketCase("odd message", "user_uttered", value(rng, 4))
        else:
            yield SocketCase("session", "session_request", value(rng, 2))
