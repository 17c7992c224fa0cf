"""Migrations: an empty database is brought to head; the tables match the models; re-running is a no-op."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from actions.filings import FilingStore
from actions.filings.tables import SCHEMA, VERSION_TABLE, Base
from knowledge.schema import current, downgrade

TABLES = {"filings", "filing_transitions", "filing_items", "filing_notices", "institutions", "reminder_outbox",
          "institution_imports", "reminder_deliveries", "reminder_runs", "validation_results",
          "validation_result_corrections", "filing_lookup_counters"}


def test_migrations_on_an_empty_database(filing_db_url: str) -> None:
    store = FilingStore(filing_db_url)
    try:
        assert current(store.engine, SCHEMA) is None
        assert not TABLES & set(inspect(store.engine).get_table_names())
        store.migrate()
        head = SCHEMA.head()
        assert head == "0005_add_notice_lost_copy" and current(store.engine, SCHEMA) == head
        names = set(inspect(store.engine).get_table_names())
        assert TABLES <= names and VERSION_TABLE in names and "alembic_version" not in names
        store.migrate()  # idempotent
        assert current(store.engine, SCHEMA) == head
    finally:
        store.close()


def test_models_match_the_migrations(filing_db_url: str) -> None:
    store = FilingStore(filing_db_url)
    try:
        store.migrate()
        with store.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "version_table": VERSION_TABLE})
            diff = [d for d in compare_metadata(ctx, Base.metadata) if not _foreign(d)]
        assert diff == []
    finally:
        store.close()


def _foreign(diff: object) -> bool:
    """Tables of other parts of the application are not ours to compare."""
    return isinstance(diff, tuple) and diff[0] == "remove_table" and diff[1].name not in TABLES


def test_downgrade_and_upgrade_again(filing_db_url: str) -> None:
    store = FilingStore(filing_db_url)
    try:
        store.migrate()
        downgrade(store.engine, SCHEMA)
        assert not TABLES & set(inspect(store.engine).get_table_names())
        store.migrate()
        assert TABLES <= set(inspect(store.engine).get_table_names())
    finally:
        store.close()


def test_concurrent_migrations(filing_db_url: str) -> None:
    import threading

    stores = [FilingStore(filing_db_url) for _ in range(3)]
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def migrate(store: FilingStore) -> None:
        barrier.wait()
        try:
            store.migrate()
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=migrate, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == []
        assert TABLES <= set(inspect(stores[0].engine).get_table_names())
    finally:
        for s in stores:
            s.close()
