"""Every part of the app's database, in upgrade order, and `prepare_database`: what `lingling db upgrade`,
`lingling serve` and every start-up run before anything reads or writes a table.

Each part keeps its own Alembic revisions and version table beside its tables (knowledge/schema.py explains
why); a new table of an existing part is a new revision there, a new part is one more line in PARTS.
On PostgreSQL the upgrade holds an advisory lock, so workers and machines starting at once take turns.
"""

from __future__ import annotations

import logging

from actions.filings.tables import SCHEMA as FILINGS
from assistant.dialogue.db import SCHEMA as DIALOGUE
from assistant.handoff.tables import SCHEMA as HANDOFF
from assistant.ops.config import is_postgres
from assistant.staff.db import SCHEMA as STAFF
from knowledge.schema import SchemaPart, upgrade_database
from knowledge.store import SCHEMA as KNOWLEDGE

log = logging.getLogger(__name__)
PARTS: tuple[SchemaPart, ...] = (KNOWLEDGE, FILINGS, DIALOGUE, STAFF, HANDOFF)


def upgrade_all(db_url: str) -> None:
    """Bring every part's tables to its newest revision (adopting a database made before migrations)."""
    upgrade_database(db_url, PARTS)


def prepare_database(db_url: str) -> None:
    """`upgrade_all`, and on PostgreSQL the knowledge publish trigger (assistant/ops/sync.py)."""
    upgrade_all(db_url)
    if is_postgres(db_url):
        from assistant.ops.sync import install_trigger

        install_trigger(db_url)
