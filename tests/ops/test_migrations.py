"""Every table has Alembic migrations: an empty database is brought to head part by part; the tables then match
the code's; a database made before the migrations (tests/fixtures/main_db) is adopted with its data kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, select, text

from assistant.ops.config import search_path_schema
from assistant.ops.migrate import PARTS, upgrade_all
from knowledge.schema import SchemaError, SchemaPart, current, downgrade, new_revision, upgrade, write_locking
from tests.needs import pg_schema

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "main_db"
PART_IDS = [p.name for p in PARTS]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(kind, URL) of an empty database: a SQLite file or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield "sqlite", f"sqlite:///{tmp_path / 'lingling.db'}"
        return
    with pg_schema("mig") as url:
        yield "postgresql", url


def engine_of(url: str) -> Engine:
    return write_locking(create_engine(url)) if url.startswith("sqlite") else create_engine(url)


def differences(engine: Engine, part: SchemaPart) -> list[Any]:
    """What the part's tables in the database lack or have beyond the code's (other parts' tables ignored)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "version_table": part.version_table})
        diff = compare_metadata(ctx, part.metadata)
    own = set(part.metadata.tables)
    return [d for d in diff if _table_of(d) in own]


def _table_of(diff: Any) -> str | None:
    """The table an autogenerate difference is about."""
    if isinstance(diff, list):  # column modifications: [("modify_type", schema, table, column, ...), ...]
        return str(diff[0][2])
    thing = diff[1]
    if isinstance(thing, str) or thing is None:  # ("add_column", schema, table, column) and the like
        return str(diff[2])
    table = getattr(thing, "table", None)  # indexes, constraints and columns name their table
    return str(table.name if table is not None else thing.name)


def test_every_table_of_the_code_belongs_to_one_part() -> None:
    names = [t for p in PARTS for t in p.metadata.tables]
    assert len(names) == len(set(names))
    assert {p.version_table for p in PARTS} == {f"{p.name}_alembic_version" for p in PARTS}


def test_an_empty_database_is_brought_to_head_and_matches_the_code(db: tuple[str, str]) -> None:
    _, url = db
    upgrade_all(url)
    upgrade_all(url)  # again: nothing to do
    engine = engine_of(url)
    try:
        names = set(inspect(engine).get_table_names())
        for part in PARTS:
            assert current(engine, part) == part.head(), part.name
            assert set(part.metadata.tables) <= names
            assert differences(engine, part) == [], part.name
        assert "alembic_version" not in names
    finally:
        engine.dispose()


@pytest.mark.parametrize("part", PARTS, ids=PART_IDS)
def test_each_part_goes_down_and_up_again(part: SchemaPart, tmp_path: Path) -> None:
    engine = engine_of(f"sqlite:///{tmp_path / 'down.db'}")
    try:
        upgrade(engine, PARTS)
        downgrade(engine, part)
        names = set(inspect(engine).get_table_names())
        assert not set(part.metadata.tables) & names
        assert all(set(p.metadata.tables) <= names for p in PARTS if p is not part), "other parts are left alone"
        upgrade(engine, [part])
        assert differences(engine, part) == []
    finally:
        engine.dispose()


def test_concurrent_upgrades_of_a_fresh_database(db: tuple[str, str]) -> None:
    _, url = db
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            upgrade_all(url)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    engine = engine_of(url)
    try:
        assert all(current(engine, p) == p.head() for p in PARTS)
    finally:
        engine.dispose()


def load_main_database(kind: str, url: str) -> None:
    """The tables and rows of tests/fixtures/main_db (made by the code before every table had migrations)."""
    engine = create_engine(url)
    try:
        if kind == "sqlite":
            script = (FIXTURES / "main_sqlite.sql").read_text(encoding="utf-8")
            raw = engine.raw_connection()
            try:
                raw.driver_connection.executescript(script)  # type: ignore[union-attr]
            finally:
                raw.close()
            return
        schema = search_path_schema(url)
        script = (FIXTURES / "main_postgres.sql").read_text(encoding="utf-8").replace("{schema}", f'"{schema}"')
        with engine.begin() as conn:
            conn.exec_driver_sql(script)
    finally:
        engine.dispose()


def rows(engine: Engine, only: dict[str, list[str]] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every part's tables that exist (a part newer than the database has none yet), in a stable
    order: of the columns the database has (columns added by later revisions are not there yet), or of the
    columns `only` names per table."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    wanted = only if only is not None else columns_of(engine)
    with engine.connect() as conn:
        for part in PARTS:
            for name, table in part.metadata.tables.items():
                if name not in wanted:
                    continue
                found = conn.execute(select(*(table.c[n] for n in wanted[name]))).all()
                out[name] = sorted(tuple(str(v) for v in r) for r in found)
    return out


def columns_of(engine: Engine) -> dict[str, list[str]]:
    """The columns of every part's tables that the database has now (tables it lacks are left out)."""
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    return {name: [c.name for c in table.columns if c.name in {x["name"] for x in inspector.get_columns(name)}]
            for part in PARTS for name, table in part.metadata.tables.items() if name in existing}


def test_a_database_made_before_the_migrations_is_adopted_with_its_data(db: tuple[str, str]) -> None:
    kind, url = db
    load_main_database(kind, url)
    engine = engine_of(url)
    try:
        assert current(engine, PARTS[0]) is None  # the knowledge store had no migrations then
        old_columns = columns_of(engine)
        before = rows(engine)
        assert all(before[t] for t in ("kb_versions", "filings", "filing_notices", "conversations", "turns",
                                       "staff_users", "staff_audit", "staff_sessions")), "the fixture has data"
        upgrade_all(url)
        for part in PARTS:
            assert current(engine, part) == part.head(), part.name
            assert differences(engine, part) == [], part.name
        after = rows(engine)
        assert rows(engine, old_columns) == before
        assert all(after[name] == [] for name in set(after) - set(before)), "a new part's tables start empty"
        with engine.connect() as conn:
            texts = conn.execute(text("SELECT item_id, number, status FROM kb_versions ORDER BY id")).all()
        assert [tuple(r) for r in texts] == [("senior-assistance", 1, "published"), ("senior-assistance", 2, "published"),
                                             ("video-service", 0, "draft")]
    finally:
        engine.dispose()


def test_the_adopted_database_serves(tmp_path: Path) -> None:
    """Through the stores' own code: the filing, the published knowledge and the staff account are there."""
    from actions.filings import FilingStore
    from assistant.staff.users import UserStore
    from knowledge.store import SqlKnowledgeStore

    url = f"sqlite:///{tmp_path / 'main.db'}"
    load_main_database("sqlite", url)
    upgrade_all(url)
    filings = FilingStore(url)
    store = SqlKnowledgeStore(url)
    try:
        assert [(f.filing_id, f.status) for f in filings.list_filings()] == [("MV20250610001", "submitted"),
                                                                          ("LN20250610001", "published")]
        assert filings.notice("XHA-YS-2025-0001") is not None
        assert store.generation() == 2 and set(store.live_texts()) == {"senior-assistance"}
        assert UserStore(store.engine).get_by_name("fixture-admin") is not None
    finally:
        filings.close()
        store.close()


def test_a_partial_old_database_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'partial.db'}"
    engine = engine_of(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE conversations (sender_id VARCHAR(128) PRIMARY KEY)"))
        with pytest.raises(SchemaError, match="turns"):
            upgrade_all(url)
    finally:
        engine.dispose()


def test_a_new_revision_is_numbered_and_generated_from_the_tables(tmp_path: Path) -> None:
    """`lingling db revision PART -m ...`: the next number in the part's folder; with --autogenerate, the
    operations that make the database match the part's tables."""
    import shutil

    from sqlalchemy import Column, Integer, MetaData, String, Table

    folder = tmp_path / "migrations"
    shutil.copytree(PARTS[0].migrations, folder)
    metadata = MetaData()
    for table in PARTS[0].metadata.tables.values():
        table.to_metadata(metadata)
    Table("kb_notes", metadata, Column("id", Integer, primary_key=True), Column("text", String(100), nullable=False))
    part = SchemaPart("knowledge", metadata, folder, PARTS[0].version_table)
    engine = engine_of(f"sqlite:///{tmp_path / 'rev.db'}")
    try:
        upgrade(engine, [part])
        path = new_revision(part, "Add notes table", engine)
        assert path.name == "0002_add_notes_table.py"
        body = path.read_text(encoding="utf-8")
        assert 'down_revision = "0001_initial"' in body or "down_revision = '0001_initial'" in body
        assert "kb_notes" in body
        upgrade(engine, [part])
        assert "kb_notes" in inspect(engine).get_table_names() and differences(engine, part) == []
    finally:
        engine.dispose()


def test_the_db_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    data = str(tmp_path / "state")
    assert main(["--data-dir", data, "db", "current"]) == 1  # nothing yet
    assert main(["--data-dir", data, "db", "upgrade"]) == 0
    assert main(["--data-dir", data, "db", "current"]) == 0
    out = capsys.readouterr().out
    assert all(f"{p.name}\t{p.head()}\tup to date" in out for p in PARTS), out
