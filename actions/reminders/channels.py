"""The channels that send reminders: SMTP e-mail and an SMS gateway's HTTP webhook (signed, idempotent).

A channel's `send(delivery)` returns when the message was accepted and raises `DeliveryFailed` when not
(`permanent` when trying again cannot help: a refused address, a 4xx). The records and retries are
actions/filings/reminders.py's; the chat channel sends nothing itself (the dialogue tells the institution).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Protocol

from actions.filings.types import DeliveryView
from actions.reminders.config import ReminderSettings

if TYPE_CHECKING:
    import httpx

SUBJECT = "【灵灵】医疗机构校验到期提醒"
SIGNATURE_HEADER = "X-Lingling-Signature"
TIMESTAMP_HEADER = "X-Lingling-Timestamp"


class DeliveryFailed(Exception):
    """The channel did not accept the message; `permanent` when retrying cannot help."""

    def __init__(self, detail: str, permanent: bool = False):
        super().__init__(detail)
        self.permanent = permanent


class Channel(Protocol):
    """Sends one reminder to one address."""

    name: str

    def send(self, delivery: DeliveryView) -> None: ...


def email_body(d: DeliveryView) -> str:
    return (f"{d.message}\n\n机构名称：{d.institution_name}\n登记号：{d.registration_number}\n"
            f"校验到期日：{d.due_date.year}年{d.due_date.month}月{d.due_date.day}日\n\n"
            "您也可以打开“灵灵”，输入登记号和联系电话后四位，查询到期日并在线申请校验。\n"
            "（本邮件由青岛西海岸新区政务服务中心“灵灵”自动发送，请勿直接回复。）")


class EmailChannel:
    """SMTP (plain, STARTTLS or SSL, optional login); one message per delivery with a stable Message-ID."""

    name = "email"

    def __init__(self, cfg: ReminderSettings):
        self.cfg = cfg

    def message(self, d: DeliveryView) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = SUBJECT
        msg["From"] = self.cfg.smtp_from
        msg["To"] = d.address
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(idstring=d.idempotency_key, domain="lingling.local")
        msg["X-Lingling-Reminder"] = d.idempotency_key
        msg.set_content(email_body(d))
        return msg

    def send(self, d: DeliveryView) -> None:
        cfg = self.cfg
        try:
            if cfg.smtp_security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg.smtp_host, cfg.smtp_port, timeout=cfg.smtp_timeout,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.smtp_timeout)
            with smtp:
                if cfg.smtp_security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if cfg.smtp_user:
                    smtp.login(cfg.smtp_user, cfg.smtp_password)
                smtp.send_message(self.message(d))
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(f"SMTP refused the address: {exc.recipients}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            # 5xx is SMTP's "do not repeat this", 4xx a passing trouble
            raise DeliveryFailed(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=500 <= exc.smtp_code < 600) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP: {exc.__class__.__name__}: {exc}") from exc


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of `timestamp.body` with the shared secret (what the gateway checks)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class SmsWebhookChannel:
    """POSTs JSON to the SMS gateway: {idempotency_key, phone, text, registration_number, due_date}, signed with
    X-Lingling-Signature (HMAC-SHA256 of `timestamp.body`) and X-Lingling-Timestamp, and the Idempotency-Key header
    (the same for every attempt of one institution's reminder of one due date). 2xx = accepted; 408, 429 and 5xx
    and network errors are retried; other 4xx fail for good."""

    name = "sms"

    def __init__(self, cfg: ReminderSettings, client: httpx.Client | None = None):
        import httpx  # only when the SMS channel is configured (not at every start-up)

        self.cfg = cfg
        self.client = client or httpx.Client(timeout=cfg.sms_timeout, follow_redirects=False)

    def payload(self, d: DeliveryView) -> bytes:
        return json.dumps({"idempotency_key": d.idempotency_key, "phone": d.address, "text": d.message,
                           "registration_number": d.registration_number, "due_date": d.due_date.isoformat()},
                          ensure_ascii=False, sort_keys=True).encode("utf-8")

    def send(self, d: DeliveryView) -> None:
        body = self.payload(d)
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": d.idempotency_key,
                   TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature(self.cfg.sms_webhook_secret, stamp, body)}
        import httpx

        try:
            r = self.client.post(self.cfg.sms_webhook_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"SMS gateway: {exc.__class__.__name__}: {exc}") from exc
        if 200 <= r.status_code < 300:
            return
        retry = r.status_code in (408, 429) or r.status_code >= 500
        raise DeliveryFailed(f"SMS gateway answered {r.status_code}: {r.text[:200]}", permanent=not retry)

    def close(self) -> None:
        self.client.close()


def build_channels(cfg: ReminderSettings) -> dict[str, Channel]:
    """The sending channels configured (the chat channel needs no sender)."""
    out: dict[str, Channel] = {}
    if cfg.smtp_host:
        out["email"] = EmailChannel(cfg)
    if cfg.sms_webhook_url:
        out["sms"] = SmsWebhookChannel(cfg)
    return out
