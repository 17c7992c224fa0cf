"""Settings of the operations features, read from LINGLING_* variables like the app's own settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class OpsSettings(BaseSettings):
    """Scale-out knobs; the defaults suit one machine."""

    model_config = SettingsConfigDict(env_prefix="LINGLING_", env_file=None, extra="ignore")

    workers: int = Field(default=1, ge=1, description="worker processes of this server (set by lingling serve)")
    sender_lock: Literal["auto", "postgres", "file", "local"] = Field(
        default="auto", description="auto: PostgreSQL advisory locks on PostgreSQL, lock files for SQLite with "
                                    "several workers, else the in-process lock only")
    sender_lock_pool: int = Field(default=32, ge=1, le=500, description="lock connections per worker (PostgreSQL)")
    sender_lock_timeout: float = Field(default=30.0, gt=0, description="seconds to wait for a sender's lock")
    knowledge_notify: bool = Field(default=True, description="PostgreSQL: LISTEN for knowledge publishes")
    db_connect_timeout: int = Field(default=5, ge=1, description="seconds (PostgreSQL connections made here)")


def is_postgres(db_url: str) -> bool:
    """True for a PostgreSQL SQLAlchemy URL."""
    return make_url(db_url).get_backend_name() == "postgresql"


def libpq_conninfo(db_url: str) -> str:
    """The libpq URI (psycopg, pg_dump) of a SQLAlchemy PostgreSQL URL, password included."""
    url = make_url(db_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def search_path_schema(db_url: str) -> str | None:
    """The schema an `options=-csearch_path=NAME` query selects (tests use one schema each)."""
    options = make_url(db_url).query.get("options")
    if isinstance(options, tuple):
        options = " ".join(options)
    for part in (options or "").split():
        for prefix in ("-csearch_path=", "--search_path=", "-c search_path="):
            if part.startswith(prefix):
                return part[len(prefix):].split(",")[0].strip('"') or None
    return None
