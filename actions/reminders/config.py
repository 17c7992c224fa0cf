"""Settings of the reminder channels and of the daily pass, read from LINGLING_* variables (docs/operations.md)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReminderSettings(BaseSettings):
    """Where reminders go and when. A channel without its address (SMTP host, webhook URL) is off; the chat
    channel needs nothing."""

    model_config = SettingsConfigDict(env_prefix="LINGLING_", env_file=None, extra="ignore")

    # -- e-mail (SMTP) --
    smtp_host: str = Field(default="", description="SMTP server; empty = no e-mail channel")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: str = Field(default="none", pattern="^(none|starttls|ssl)$", description="none | starttls | ssl")
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = Field(default="灵灵 <lingling@localhost>", description="the From of reminder e-mails")
    smtp_timeout: float = Field(default=15.0, gt=0)
    # -- SMS gateway (HTTP webhook) --
    sms_webhook_url: str = Field(default="", description="the SMS gateway's endpoint; empty = no SMS channel")
    sms_webhook_secret: str = Field(default="", description="HMAC-SHA256 key of the X-Lingling-Signature header")
    sms_timeout: float = Field(default=10.0, gt=0)
    # -- the pass --
    reminder_chat: bool = Field(default=True, description="tell institutions in the chat when they identify")
    reminder_months: int = Field(default=3, ge=1, le=12, description="remind this many months before the due date")
    reminder_schedule: str = Field(default="", description="HH:MM (Beijing): the in-process daily pass; empty = off "
                                                          "(use the systemd timer calling `lingling reminders`)")
    reminder_max_attempts: int = Field(default=6, ge=1, le=50)
    reminder_retry_seconds: float = Field(default=300.0, gt=0, description="first back-off; doubles per attempt")
    reminder_retry_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    reminder_send_hours: str = Field(default="08:00-20:00", description="e-mail and SMS go out only in these hours")
    reminder_tick_seconds: float = Field(default=60.0, gt=0, description="how often the in-process job looks")

    @field_validator("reminder_schedule")
    @classmethod
    def _time(cls, v: str) -> str:
        if v.strip():
            dt.time.fromisoformat(v.strip())
        return v.strip()

    @field_validator("reminder_send_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        if v.strip():
            start, end = v.split("-")
            dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())
        return v.strip()

    def channels(self) -> tuple[str, ...]:
        """The channels in use, in the order reminders are recorded."""
        out = []
        if self.smtp_host:
            out.append("email")
        if self.sms_webhook_url:
            out.append("sms")
        if self.reminder_chat:
            out.append("chat")
        return tuple(out)

    def daily_at(self) -> dt.time | None:
        return dt.time.fromisoformat(self.reminder_schedule) if self.reminder_schedule else None

    def send_window(self) -> tuple[dt.time, dt.time] | None:
        if not self.reminder_send_hours:
            return None
        start, end = self.reminder_send_hours.split("-")
        return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())

    def backoff(self, attempts: int) -> dt.timedelta:
        """The wait after the `attempts`-th failed attempt."""
        return dt.timedelta(seconds=min(self.reminder_retry_max_seconds,
                                        self.reminder_retry_seconds * 2 ** max(0, attempts - 1)))
