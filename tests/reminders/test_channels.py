"""The reminder channels against local servers: SMTP e-mail (aiosmtpd), the SMS gateway's webhook (signed, retried
with back-off while it fails, then delivered once when it recovers, idempotent per institution and due date), and
the chat (told once when the institution identifies itself)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from actions.filings import FilingStore
from actions.filings.institutions import InstitutionRegistry
from actions.reminders.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, build_channels, signature
from actions.reminders.config import ReminderSettings
from actions.reminders.service import ReminderService
from knowledge.clock import ManualClock

SECRET = "gateway-shared-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


class Gateway:
    """A local SMS gateway: answers 503 while `down`, checks the signature, drops repeated idempotency keys."""

    def __init__(self) -> None:
        self.down = True
        self.requests: list[dict[str, Any]] = []
        self.delivered: dict[str, dict[str, Any]] = {}
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stamp = self.headers[TIMESTAMP_HEADER]
                signed = self.headers[SIGNATURE_HEADER] == signature(SECRET, stamp, body)
                key = self.headers["Idempotency-Key"]
                gateway.requests.append({"key": key, "signed": signed, "body": json.loads(body)})
                status = 401 if not signed else 503 if gateway.down else 200
                if status == 200:
                    gateway.delivered.setdefault(key, json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    g = Gateway()
    yield g
    g.close()


def service(store: FilingStore, clock: ManualClock, **cfg: Any) -> ReminderService:
    settings = ReminderSettings(**{"smtp_host": "", "sms_webhook_url": "", **cfg})
    return ReminderService(store, settings, build_channels(settings), clock=clock)


def test_email_reaches_the_local_smtp_server(store: FilingStore, clock: ManualClock, registry: InstitutionRegistry,
                                             smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    svc = service(store, clock, smtp_host="127.0.0.1", smtp_port=port, smtp_from="灵灵 <lingling@example.gov.cn>")
    report = svc.run()
    assert [r.institution_name for r in report.recorded or []] == ["康宁诊所", "仁和口腔门诊部"]
    assert report.outcomes == {"sent": 1}  # only 康宁诊所 has an e-mail address
    [(rcpt, raw)] = inbox.messages
    msg = message_from_bytes(raw)
    assert rcpt == ["kangning@example.com"]
    assert str(make_header(decode_header(msg["Subject"]))) == "【灵灵】医疗机构校验到期提醒"
    text = msg.get_payload(decode=True).decode("utf-8")
    assert "康宁诊所" in text and "2026年12月31日" in text and "PDY00000137021117D2152" in text
    assert [(d.channel, d.status, d.attempts) for d in svc.deliveries("sent")] == [("email", "sent", 1)]
    assert svc.run().outcomes == {} and len(inbox.messages) == 1  # once
    svc.close()


def test_sms_gateway_down_then_recovering(store: FilingStore, clock: ManualClock, registry: InstitutionRegistry,
                                          gateway: Gateway) -> None:
    svc = service(store, clock, sms_webhook_url=gateway.url, sms_webhook_secret=SECRET, reminder_retry_seconds=60)
    report = svc.run()
    assert report.outcomes == {"retrying": 1}  # only 康宁诊所's phone is a mobile
    [d] = svc.deliveries("retrying")
    assert d.attempts == 1 and "503" in d.last_error and d.next_attempt_at is not None  # visible to reviewers
    assert svc.run().outcomes == {}  # backing off: not yet
    clock.advance(seconds=61)
    assert svc.run().outcomes == {"retrying": 1}  # still down: the second wait doubles
    clock.advance(seconds=61)
    assert svc.run().outcomes == {}
    gateway.down = False
    clock.advance(seconds=60)
    assert svc.run().outcomes == {"sent": 1}
    assert all(r["signed"] for r in gateway.requests) and len(gateway.requests) == 3
    assert {r["key"] for r in gateway.requests} == {"lingling-reminder-PDY00000137021117D2152-2026-12-31"}
    [body] = gateway.delivered.values()
    assert body["phone"] == "13800001234" and "2026年12月31日" in body["text"]
    clock.advance(days=1)
    assert svc.run().recorded == [] and len(gateway.requests) == 3  # the next day: nothing again
    svc.close()


def test_a_refused_sms_fails_visibly_and_a_reviewer_resends(store: FilingStore, clock: ManualClock,
                                                            registry: InstitutionRegistry, gateway: Gateway) -> None:
    svc = service(store, clock, sms_webhook_url=gateway.url, sms_webhook_secret="wrong-secret")
    assert svc.run().outcomes == {"failed": 1}  # 401: trying again cannot help
    [failed] = svc.deliveries("failed")
    assert "401" in failed.last_error and svc.outbox()  # never lost: the reminder and its delivery stay
    svc.cfg.sms_webhook_secret = SECRET
    gateway.down = False
    assert svc.retry(failed.id)
    assert svc.deliver() == {"sent": 1}
    svc.close()


def test_the_chat_tells_an_identified_institution_once(store: FilingStore, clock: ManualClock,
                                                       registry: InstitutionRegistry) -> None:
    svc = service(store, clock)
    svc.run()
    assert registry.identify("PDY00000137021117D2152", "1234").status == "ok"
    told = svc.tell_in_chat("pdy00000137021117d2152")
    assert [(d.channel, d.due_date.isoformat()) for d in told] == [("chat", "2026-12-31")]
    assert svc.tell_in_chat("PDY00000137021117D2152") == []
    chat = {d.registration_number: d.status for d in svc.deliveries() if d.channel == "chat"}
    assert chat == {"PDY00000137021117D2152": "sent", "PDY00000237021117D2152": "pending"}
