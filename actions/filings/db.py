"""The filing store's database engine: SQLite with foreign keys and write-locking transactions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from knowledge.schema import write_locking


def make_engine(db_url: str) -> Engine:
    """An engine for `db_url`; SQLite gets a busy timeout and write-locking (BEGIN IMMEDIATE) transactions."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": 30, "check_same_thread": False}}
    if url.database in (None, "", ":memory:"):
        kwargs["poolclass"] = StaticPool
    elif url.database:
        Path(url.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = write_locking(create_engine(url, **kwargs))

    @event.listens_for(engine, "connect")
    def _foreign_keys(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine
