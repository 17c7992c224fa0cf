"""Create or upgrade every table once, before worker processes start.

Each worker also migrates at start-up (CREATE TABLE when missing); on a fresh PostgreSQL database two
workers doing that at the same moment collide (duplicate pg_type rows). `lingling serve` therefore calls
`prepare_database` in the supervisor first; on PostgreSQL it holds an advisory lock meanwhile, so that
several machines starting at once take turns too.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from sqlalchemy import create_engine, text

from assistant.ops.config import is_postgres
from assistant.settings import Settings

log = logging.getLogger(__name__)
MIGRATE_LOCK = (1279872583, 2)


def migrate_all(settings: Settings) -> None:
    """Every part's tables: filings (alembic), dialogue, knowledge store (seeded when empty), staff console."""
    from actions.filings import FilingStore
    from assistant.dialogue import db as dialogue_db
    from assistant.staff import db as staff_db
    from assistant.staff.services import open_store

    filings = FilingStore(settings.db_url)
    try:
        filings.migrate()
    finally:
        filings.close()
    engine = dialogue_db.make_engine(settings.db_url)
    try:
        dialogue_db.migrate(engine)
        staff_db.migrate(engine)
    finally:
        engine.dispose()
    open_store(settings).close()
    if is_postgres(settings.db_url):
        from assistant.ops.sync import install_trigger

        install_trigger(settings.db_url)


def prepare_database(settings: Settings, timeout_s: int = 120) -> None:
    """`migrate_all`, under a PostgreSQL advisory lock (waits at most `timeout_s`)."""
    if not is_postgres(settings.db_url):
        migrate_all(settings)
        return
    engine = create_engine(settings.db_url, pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            conn.execute(text(f"SET lock_timeout = '{int(timeout_s)}s'"))
            conn.execute(text("SELECT pg_advisory_lock(:a, :b)"), {"a": MIGRATE_LOCK[0], "b": MIGRATE_LOCK[1]})
            conn.commit()
            try:
                migrate_all(settings)
            finally:
                with suppress(Exception):
                    conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), {"a": MIGRATE_LOCK[0], "b": MIGRATE_LOCK[1]})
                    conn.commit()
    finally:
        engine.dispose()
