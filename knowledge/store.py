"""The versioned knowledge store: every item's YAML text as drafts, published and retired versions, in SQL.

The live knowledge base is the latest non-draft version of every item whose status is `published`.
A published version is validated on the way in (`check_text`), so a text with errors can never become live.
Versions are never changed or deleted; a rollback is the publication of an old text as a new version.
Each item has at most one draft (number 0), the working copy staff edit before publishing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError

from knowledge.clock import Clock, as_utc, system_clock
from knowledge.errors import KnowledgeError
from knowledge.schema import SchemaPart, upgrade
from knowledge.versions import check_text, normalise_text

DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"
T = TypeVar("T")

metadata = MetaData()

kb_versions = Table(
    "kb_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # grows with every change: the generation
    Column("item_id", String(100), nullable=False, index=True),
    Column("number", Integer, nullable=False),  # 1, 2, ... per item; 0 = the item's draft
    Column("status", String(16), nullable=False),  # draft | published | retired
    Column("yaml_text", Text, nullable=False),
    Column("author", String(64), nullable=False),
    Column("note", String(300), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("item_id", "number", name="uq_kb_versions_item_number"),
)

SCHEMA = SchemaPart("knowledge", metadata, Path(__file__).resolve().parent / "migrations", "knowledge_alembic_version",
                    adopt=("kb_versions",))


class StaleVersion(KnowledgeError):
    """Someone published the item since the caller read it."""


@dataclass(frozen=True)
class Version:
    """One stored version (or the draft) of an item."""

    id: int
    item_id: str
    number: int
    status: str
    text: str
    author: str
    note: str
    created_at: dt.datetime


class KnowledgeStore(Protocol):
    """What the console, the CLI and the app's start-up need of a knowledge store."""

    def migrate(self) -> None: ...
    def is_empty(self) -> bool: ...
    def seed(self, texts: Mapping[str, str], author: str = "seed") -> int: ...
    def generation(self) -> int: ...
    def live_texts(self) -> dict[str, str]: ...
    def latest_all(self) -> dict[str, Version]: ...
    def changes_since(self, generation: int) -> dict[str, Version]: ...
    def latest(self, item_id: str) -> Version | None: ...
    def history(self, item_id: str) -> list[Version]: ...
    def version(self, item_id: str, number: int) -> Version | None: ...
    def draft(self, item_id: str) -> Version | None: ...
    def drafts(self) -> dict[str, Version]: ...
    def save_draft(self, item_id: str, text: str, author: str) -> Version: ...
    def discard_draft(self, item_id: str) -> bool: ...
    def add_version(self, item_id: str, text: str, status: str, author: str, note: str = "",
                    expected: int | None = None, drop_draft: bool = False) -> Version: ...


def make_engine(db_url: str) -> Engine:
    """An engine for the URL; SQLite gets its folder, WAL and a busy timeout."""
    url = make_url(db_url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite:
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(db_url, **kwargs)
    if sqlite:

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


def _version(row: Any) -> Version:
    return Version(row.id, row.item_id, row.number, row.status, row.yaml_text, row.author, row.note or "", as_utc(row.created_at))


class SqlKnowledgeStore:
    """KnowledgeStore on SQLAlchemy Core (SQLite or PostgreSQL, the app's one database URL)."""

    def __init__(self, db_url: str | None = None, engine: Engine | None = None,
                 clock: Clock = system_clock):
        if engine is None and db_url is None:
            raise ValueError("give a database URL or an engine")
        self._owned = engine is None
        self.engine = engine if engine is not None else make_engine(str(db_url))
        self.clock = clock

    def migrate(self) -> None:
        """Create or upgrade the store's tables (its Alembic revisions); safe on every start."""
        upgrade(self.engine, [SCHEMA])

    def close(self) -> None:
        """Release connections (only of an engine made here)."""
        if self._owned:
            self.engine.dispose()

    def _read(self, fn: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:
            return fn(conn)

    def _write(self, fn: Callable[[Connection], T]) -> T:
        with self.engine.begin() as conn:
            return fn(conn)

    # ---- the live base ---------------------------------------------------------------------------------
    def is_empty(self) -> bool:
        """True when no item has ever been published."""
        return self.generation() == 0

    def seed(self, texts: Mapping[str, str], author: str = "seed") -> int:
        """Publish version 1 of every item (validated); only into an empty store. Returns how many."""
        checked = {item_id: normalise_text(text) for item_id, text in texts.items()}
        for item_id, text in checked.items():
            check_text(item_id, text)

        def write(conn: Connection) -> int:
            if conn.execute(select(func.count()).select_from(kb_versions).where(kb_versions.c.number > 0)).scalar():
                return 0
            now = self.clock()
            rows = [dict(item_id=i, number=1, status=PUBLISHED, yaml_text=t, author=author, note="初始导入", created_at=now)
                    for i, t in sorted(checked.items())]
            if rows:
                conn.execute(insert(kb_versions), rows)
            return len(rows)

        try:
            return self._write(write)
        except IntegrityError:  # another process seeded at the same moment
            return 0

    def generation(self) -> int:
        """The id of the newest non-draft version (0 when empty); changes with every publish or retire."""
        stmt = select(func.max(kb_versions.c.id)).where(kb_versions.c.number > 0)
        return int(self._read(lambda c: c.execute(stmt).scalar()) or 0)

    def _latest_rows(self, conn: Connection, since: int = 0) -> dict[str, Version]:
        newest = (select(kb_versions.c.item_id, func.max(kb_versions.c.number).label("n"))
                  .where(kb_versions.c.number > 0).group_by(kb_versions.c.item_id).subquery())
        stmt = select(kb_versions).join(
            newest, (kb_versions.c.item_id == newest.c.item_id) & (kb_versions.c.number == newest.c.n)
        ).where(kb_versions.c.id > since)
        return {r.item_id: _version(r) for r in conn.execute(stmt)}

    def latest_all(self) -> dict[str, Version]:
        """The newest non-draft version of every item (published or retired)."""
        return self._read(self._latest_rows)

    def live_texts(self) -> dict[str, str]:
        """id -> YAML of every published (not retired) item: the live knowledge base."""
        return {i: v.text for i, v in self.latest_all().items() if v.status == PUBLISHED}

    def changes_since(self, generation: int) -> dict[str, Version]:
        """The newest version of every item changed after `generation`."""
        return self._read(lambda c: self._latest_rows(c, generation))

    # ---- one item ----------------------------------------------------------------------------------------
    def latest(self, item_id: str) -> Version | None:
        """The item's newest non-draft version."""
        history = self.history(item_id)
        return history[0] if history else None

    def history(self, item_id: str) -> list[Version]:
        """Every non-draft version of the item, newest first."""
        stmt = (select(kb_versions).where(kb_versions.c.item_id == item_id, kb_versions.c.number > 0)
                .order_by(kb_versions.c.number.desc()))
        return self._read(lambda c: [_version(r) for r in c.execute(stmt)])

    def version(self, item_id: str, number: int) -> Version | None:
        """One version by number (0 = the draft)."""
        stmt = select(kb_versions).where(kb_versions.c.item_id == item_id, kb_versions.c.number == number)
        row = self._read(lambda c: c.execute(stmt).first())
        return _version(row) if row is not None else None

    def draft(self, item_id: str) -> Version | None:
        """The item's draft, if any."""
        return self.version(item_id, 0)

    def drafts(self) -> dict[str, Version]:
        """Every draft by item id."""
        stmt = select(kb_versions).where(kb_versions.c.number == 0)
        return self._read(lambda c: {r.item_id: _version(r) for r in c.execute(stmt)})

    def save_draft(self, item_id: str, text: str, author: str) -> Version:
        """Create or replace the item's draft (drafts may contain errors; they are never live)."""
        text = normalise_text(text)

        def write(conn: Connection) -> None:
            values = dict(yaml_text=text, author=author, created_at=self.clock(), status=DRAFT)
            done = conn.execute(update(kb_versions).where(kb_versions.c.item_id == item_id, kb_versions.c.number == 0)
                                .values(**values))
            if not done.rowcount:
                conn.execute(insert(kb_versions).values(item_id=item_id, number=0, note="", **values))

        self._write(write)
        draft = self.draft(item_id)
        assert draft is not None
        return draft

    def discard_draft(self, item_id: str) -> bool:
        """Delete the item's draft; False when there was none."""
        stmt = delete(kb_versions).where(kb_versions.c.item_id == item_id, kb_versions.c.number == 0)
        return bool(self._write(lambda c: c.execute(stmt).rowcount))

    def add_version(self, item_id: str, text: str, status: str, author: str, note: str = "",
                    expected: int | None = None, drop_draft: bool = False) -> Version:
        """Append a published or retired version; a published text must validate (raises otherwise).

        `expected` is the version number the caller edited (None = no check): StaleVersion when another
        version was added meanwhile. `drop_draft` deletes the item's draft in the same transaction.
        """
        if status not in (PUBLISHED, RETIRED):
            raise ValueError(f"status must be {PUBLISHED} or {RETIRED}")
        text = normalise_text(text)
        check_text(item_id, text)

        def write(conn: Connection) -> int:
            last = conn.execute(select(func.max(kb_versions.c.number)).where(kb_versions.c.item_id == item_id)).scalar()
            last = int(last or 0)
            if expected is not None and last != expected:
                raise StaleVersion(f"{item_id}: version {last} exists, the change was based on {expected}")
            if status == RETIRED and last == 0:
                raise KnowledgeError(f"{item_id} was never published")
            conn.execute(insert(kb_versions).values(item_id=item_id, number=last + 1, status=status, yaml_text=text,
                                                    author=author, note=note[:300], created_at=self.clock()))
            if drop_draft:
                conn.execute(delete(kb_versions).where(kb_versions.c.item_id == item_id, kb_versions.c.number == 0))
            return last + 1

        number = self._write(write)
        out = self.version(item_id, number)
        assert out is not None
        return out
