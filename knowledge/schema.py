"""Alembic migrations for each part of the database that owns tables.

A part (the knowledge store here; the filings in actions; the dialogue and the staff console in assistant) keeps
its table definitions, a `SchemaPart` naming them, and its revisions in a `migrations/` folder beside them, with
a version table of its own. So a package upgrades only the tables it owns and imports nothing above itself: the
standalone action server upgrades the knowledge store and the filings, `lingling serve` and `lingling db upgrade`
upgrade every part (`assistant/schema.py` lists them). All parts share one Alembic environment
(knowledge/alembic_env: env.py and the revision template).

A database made before the part had migrations (tables made by `create_all`) is adopted: when none of the
part's version rows exists but every table of its first revision does, it is stamped at that revision first.

A new table or column is a new revision in its part's folder: `lingling db revision PART -m "what"`
(`--autogenerate` compares the part's tables with its migrations), then review the file (docs/operations.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from knowledge.errors import KnowledgeError

ENV = Path(__file__).resolve().parent / "alembic_env"
_PG_LOCK_KEY = 0x4C4E4D56  # pg_advisory_xact_lock key: one migrating process at a time, whatever the part


class SchemaError(KnowledgeError):
    """The database cannot be brought to the part's schema as it is (says why and what to do)."""


@dataclass(frozen=True)
class SchemaPart:
    """The tables one package owns and the migrations that make them."""

    name: str  # knowledge | filings | dialogue | staff (`lingling db revision NAME`)
    metadata: MetaData  # the tables as the code uses them; revisions must produce exactly these
    migrations: Path  # the folder of revision files, `NNNN_slug.py`
    version_table: str  # e.g. knowledge_alembic_version
    adopt: tuple[str, ...] = ()  # the tables `create_all` made before the first revision existed

    def config(self, connection: Connection | None = None) -> Config:
        """The Alembic configuration of this part (on `connection` when given)."""
        cfg = Config()
        cfg.set_main_option("script_location", str(ENV))
        cfg.set_main_option("version_locations", str(self.migrations))
        cfg.set_main_option("file_template", "%%(rev)s")
        cfg.attributes["part"] = self
        if connection is not None:
            cfg.attributes["connection"] = connection
        return cfg

    def scripts(self) -> ScriptDirectory:
        return ScriptDirectory.from_config(self.config())

    def head(self) -> str | None:
        return self.scripts().get_current_head()

    def base(self) -> str:
        """The first revision."""
        bases = self.scripts().get_bases()
        if len(bases) != 1:
            raise SchemaError(f"{self.name}: expected one first revision, found {bases}")
        return bases[0]


def write_locking(engine: Engine) -> Engine:
    """SQLite: every transaction starts with BEGIN IMMEDIATE, so concurrent writers (and migrators) wait for
    each other (busy timeout) instead of failing half-way. Other databases are returned unchanged."""
    if engine.dialect.name != "sqlite":
        return engine

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself (below)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def current(engine: Engine | Connection, part: SchemaPart) -> str | None:
    """The revision the part is at (None when never migrated)."""
    if isinstance(engine, Connection):
        return MigrationContext.configure(engine, opts={"version_table": part.version_table}).get_current_revision()
    with engine.connect() as conn:
        return current(conn, part)


def upgrade(engine: Engine, parts: Iterable[SchemaPart], revision: str = "head") -> None:
    """Bring each part to `revision`, one transaction per part (serialised across processes on PostgreSQL)."""
    for part in parts:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            _adopt(conn, part)
            command.upgrade(part.config(conn), revision)


def migration_engine(db_url: str) -> Engine:
    """An engine for migrating `db_url` (SQLite: its folder made, write-locking, so concurrent starts take turns)."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    return write_locking(create_engine(url, connect_args={"timeout": 30}))


def upgrade_database(db_url: str, parts: Iterable[SchemaPart]) -> None:
    """`upgrade` on an engine of its own."""
    engine = migration_engine(db_url)
    try:
        upgrade(engine, parts)
    finally:
        engine.dispose()


def downgrade(engine: Engine, part: SchemaPart, revision: str = "base") -> None:
    """Take one part down to `revision` ("base": drop its tables)."""
    with engine.begin() as conn:
        command.downgrade(part.config(conn), revision)


def _adopt(conn: Connection, part: SchemaPart) -> None:
    """Stamp a database made by `create_all` at the part's first revision (see the module docstring)."""
    if not part.adopt or current(conn, part) is not None:
        return
    tables = set(inspect(conn).get_table_names())
    present = [t for t in part.adopt if t in tables]
    if not present:
        return
    if len(present) != len(part.adopt):
        missing = sorted(set(part.adopt) - tables)
        raise SchemaError(f"{part.name}: the database has {sorted(present)} but not {missing}, and no "
                          f"{part.version_table}: it was made by an unknown version; restore a backup or "
                          "create the missing tables by hand, then run `lingling db upgrade` again")
    command.stamp(part.config(conn), part.base())


def new_revision(part: SchemaPart, message: str, engine: Engine | None = None) -> Path:
    """Write the part's next revision file, `NNNN_slug.py`; with `engine` (a database at the part's head) its
    operations are generated from the difference between the part's tables and that database."""
    scripts = part.scripts()
    number = 1 + max((int(m.group(1)) for s in scripts.walk_revisions() if (m := re.match(r"(\d+)_", s.revision))),
                     default=0)
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40] or "change"
    rev_id = f"{number:04d}_{slug}"
    if engine is None:
        script = command.revision(part.config(), message, rev_id=rev_id)
    else:
        with engine.begin() as conn:
            script = command.revision(part.config(conn), message, rev_id=rev_id, autogenerate=True)
    assert script is not None and not isinstance(script, list)
    return Path(script.path)
