"""Rate limits (token buckets per IP and per sender, 429 + Retry-After + Chinese message) and the body-size
limit (413 by Content-Length and by streamed size)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from assistant.security.ratelimit import Rate, RateLimiter, TokenBuckets, limit_socketio

SENDER = "a" * 24


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_burst_then_refill() -> None:
    clock = Clock()
    buckets = TokenBuckets(clock=clock)
    rate = Rate(per_minute=60, burst=3)  # one token a second
    assert [buckets.take("k", rate) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = buckets.take("k", rate)
    assert 0.9 < wait <= 1.0
    clock.now += 1.0
    assert buckets.take("k", rate) == 0.0
    assert buckets.take("other", rate) == 0.0  # keys are independent
    assert buckets.take("k", Rate(0, 1)) == 0.0  # 0 = unlimited


def test_token_buckets_are_bounded() -> None:
    buckets = TokenBuckets(max_keys=100)
    for i in range(1000):
        buckets.take(f"ip:{i}", Rate(60, 5))
    assert len(buckets) == 100


def test_exempt_networks() -> None:
    limiter = RateLimiter(Rate(60, 1), Rate(60, 1), exempt="10.1.0.0/16, 192.0.2.7 not-an-ip")
    assert limiter.is_exempt("10.1.2.3") and limiter.is_exempt("192.0.2.7")
    assert not limiter.is_exempt("10.2.0.1") and not limiter.is_exempt("testclient")
    for _ in range(5):
        assert limiter.check("/api/chat", "10.1.2.3", None) == (0.0, "")


@pytest.mark.parametrize("url,body", [
    ("/model/parse", {"text": "你好"}),
    ("/webhooks/rest/webhook", {"sender": "ip-test", "message": "你好"}),
    ("/api/chat", {"sender": SENDER, "message": "你好"}),
])
def test_ip_limit_answers_429_with_retry_after(make_client: Any, url: str, body: dict[str, Any]) -> None:
    client = make_client(rate_ip_per_minute=6, rate_ip_burst=2, rate_sender_per_minute=0)
    assert [client.post(url, json=body).status_code for _ in range(2)] == [200, 200]
    r = client.post(url, json=body)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    data = r.json()
    assert data["error"] == "rate_limited" and "秒后再试" in data["message"]
    assert r.headers["x-request-id"] and r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/health").status_code == 200  # other doors are not limited


def test_sender_limit_is_per_sender(make_client: Any) -> None:
    client = make_client(rate_ip_per_minute=1000, rate_ip_burst=1000, rate_sender_per_minute=6, rate_sender_burst=2)
    one, two = "b" * 24, "c" * 24
    codes = [client.post("/api/chat", json={"sender": one, "message": "你好"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.post("/api/chat", json={"sender": two, "message": "你好"}).status_code == 200
    rest = [client.post("/webhooks/rest/webhook", json={"sender": "r1", "message": "你好"}).status_code for _ in range(3)]
    assert rest == [200, 200, 429]


def test_rate_limit_can_be_switched_off(make_client: Any) -> None:
    client = make_client(rate_limit=False, rate_ip_per_minute=1, rate_ip_burst=1)
    assert {client.post("/model/parse", json={"text": "你好"}).status_code for _ in range(4)} == {200}


class FakeSio:
    def __init__(self) -> None:
        self.handlers: dict[str, dict[str, Any]] = {"/": {}}
        self.emitted: list[tuple[str, Any, str]] = []

    def get_environ(self, sid: str, namespace: str | None = None) -> dict[str, Any]:
        return {"asgi.scope": {"client": ("203.0.113.9", 5000)}}

    async def emit(self, event: str, data: Any, to: str, namespace: str | None = None) -> None:
        self.emitted.append((event, data, to))


class FakeChannel:
    namespace = "/"
    user_message_evt = "user_uttered"
    bot_message_evt = "bot_uttered"

    def __init__(self) -> None:
        self.sio = FakeSio()
        self.handled: list[Any] = []

        async def handler(sid: str, data: Any = None) -> None:
            self.handled.append(data)

        self.sio.handlers["/"]["user_uttered"] = handler


def test_socketio_messages_are_limited() -> None:
    channel = FakeChannel()
    limiter = RateLimiter(Rate(600, 100), Rate(6, 2))
    assert limit_socketio(channel, limiter) and not limit_socketio(channel, limiter)  # installed once
    handler = channel.sio.handlers["/"]["user_uttered"]

    async def send_three() -> None:
        for _ in range(3):
            await handler("sid-1", {"message": "你好", "session_id": "s-1"})

    asyncio.run(send_three())
    assert len(channel.handled) == 2
    ((event, data, to),) = channel.sio.emitted
    assert event == "bot_uttered" and to == "sid-1" and "秒后再试" in data["text"]


def test_socketio_channel_of_the_app_is_wrapped(make_client: Any) -> None:
    client = make_client()
    channel = client.app.state.socketio
    handler = channel.sio.handlers[channel.namespace][channel.user_message_evt]
    assert getattr(handler, "_rate_limited", False)


# --------------------------------------------------------------------------------------------- body size


def test_content_length_over_the_limit_is_413(make_client: Any) -> None:
    client = make_client(max_body_bytes=4096)
    r = client.post("/api/chat", content=b"{" + b" " * 5000 + b"}", headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"] == "too_large" and "太长" in r.json()["message"]
    r = client.post("/webhooks/rest/webhook", json={"sender": "x", "message": "长" * 3000})
    assert r.status_code == 413


def test_streamed_body_over_the_limit_is_413(make_client: Any) -> None:
    client = make_client(max_body_bytes=4096)

    def chunks() -> Any:
        yield b'{"sender": "streamed", "message": "'
        for _ in range(10):
            yield b"a" * 1000
        yield b'"}'

    r = client.post("/webhooks/rest/webhook", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["message"]


def test_default_limit_is_64kb_and_admin_allows_uploads(make_client: Any) -> None:
    client = make_client()
    assert client.app.state.settings.max_body_bytes == 64 * 1024
    big = {"sender": "x", "message": "a" * 70_000}
    assert client.post("/webhooks/rest/webhook", json=big).status_code == 413
    # The staff console takes knowledge-base uploads: a 100 KB form is not refused for its size.
    r = client.post("/admin/login", data={"username": "x", "password": "y" * 100_000}, follow_redirects=False)
    assert r.status_code != 413


def test_parse_door_keeps_its_own_larger_limit(make_client: Any) -> None:
    client = make_client()
    r = client.post("/model/parse", json={"text": "啊" * 100_001})
    assert r.status_code == 413 and r.json()["error"] == "too_large"
