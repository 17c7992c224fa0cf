"""Retention: conversations (state and turns) older than LINGLING_RETENTION_DAYS are purged, filings are kept."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select

from assistant.dialogue.db import conversations, make_engine, migrate, turns
from assistant.privacy.retention import purge
from tests.security.flows import file_lost_notice

NOW = dt.datetime(2025, 6, 18, 12, 0, tzinfo=dt.UTC)


def seed(db: Engine, sender: str, when: dt.datetime, n_turns: int = 2) -> None:
    with db.begin() as conn:
        conn.execute(insert(conversations).values(sender_id=sender, state=json.dumps({"sender_id": sender}), updated_at=when))
        for i in range(n_turns):
            conn.execute(insert(turns).values(
                turn_id=uuid.uuid4().hex, sender_id=sender, channel="rest", user_text=f"问题{i}", normalized=f"问题{i}",
                intent="greet", confidence=1.0, faq_id=None, faq_score=None, fallback=False, handoff=False, messages="[]",
                feedback=None, created_at=when + dt.timedelta(minutes=i)))


def counts(db: Engine) -> tuple[int, int]:
    with db.connect() as conn:
        return (int(conn.scalar(select(func.count()).select_from(conversations)) or 0),
                int(conn.scalar(select(func.count()).select_from(turns)) or 0))


def senders(db: Engine) -> set[str]:
    with db.connect() as conn:
        return {r[0] for r in conn.execute(select(turns.c.sender_id))} | {r[0] for r in conn.execute(select(conversations.c.sender_id))}


def test_purge_removes_only_old_conversations(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    migrate(db)
    seed(db, "old", NOW - dt.timedelta(days=200))
    seed(db, "edge", NOW - dt.timedelta(days=179))
    seed(db, "new", NOW - dt.timedelta(hours=1))
    dry = purge(db, 180, now=NOW, dry_run=True)
    assert (dry.conversations, dry.turns, dry.dry_run) == (1, 2, True) and counts(db) == (3, 6)
    report = purge(db, 180, now=NOW)
    assert (report.conversations, report.turns) == (1, 2)
    assert senders(db) == {"edge", "new"}
    assert "deleted 1 conversation(s), 2 turn(s) and 0 handoff ticket(s)" in report.line()
    assert purge(db, 180, now=NOW).turns == 0  # idempotent


def test_purge_without_tables_is_a_no_op(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    report = purge(db, 30)
    assert (report.conversations, report.turns) == (0, 0)


def test_cli_purge_keeps_filings(make_client: Any, tmp_path: Path, capsys: Any) -> None:
    from assistant.cli import main

    client = make_client(rate_limit=False)
    receipt = file_lost_notice(client, "retention-1")
    db: Engine = client.app.state.services.dialogue.turns.engine
    with db.begin() as conn:  # age the whole conversation by a year
        conn.execute(turns.update().values(created_at=NOW - dt.timedelta(days=365)))
        conn.execute(conversations.update().values(updated_at=NOW - dt.timedelta(days=365)))
    data_dir = str(client.app.state.settings.data_dir)
    assert main(["--data-dir", data_dir, "purge", "--dry-run"]) == 0
    assert "would delete 1 conversation(s), 11 turn(s)" in capsys.readouterr().out
    assert main(["--data-dir", data_dir, "purge", "--days", "30"]) == 0
    assert "deleted 1 conversation(s), 11 turn(s)" in capsys.readouterr().out
    assert counts(db) == (0, 0)
    assert client.app.state.services.filings.get(receipt["filing_id"]) is not None
    assert main(["--data-dir", data_dir, "purge", "--days", "0"]) == 2


def test_purge_on_start(tmp_path: Path, make_client: Any) -> None:
    state = tmp_path / "state"
    state.mkdir()
    db = make_engine(f"sqlite:///{(state / 'lingling.db').resolve()}")
    migrate(db)
    seed(db, "stale", dt.datetime.now(dt.UTC) - dt.timedelta(days=400))
    seed(db, "fresh", dt.datetime.now(dt.UTC))
    make_client(purge_on_start=True, retention_days=180)
    assert senders(db) == {"fresh"}
    db.dispose()
