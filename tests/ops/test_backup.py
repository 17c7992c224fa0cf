"""`lingling backup` / `lingling restore`: write data → back up → wipe → restore → the data is back
(SQLite always; PostgreSQL, a whole database and a schema, with LINGLING_TEST_PG_URL)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.needs import pg_base_url

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(params=["sqlite", pytest.param("pg-database", marks=pytest.mark.postgres),
                        pytest.param("pg-schema", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(kind, database URL): a SQLite file, a fresh PostgreSQL database, or a fresh schema."""
    if request.param == "sqlite":
        yield "sqlite", f"sqlite:///{tmp_path / 'var' / 'lingling.db'}"
        return
    base = pg_base_url()
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"ops_bk_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE {"DATABASE" if request.param == "pg-database" else "SCHEMA"} "{name}"'))
    except Exception:
        admin.dispose()
        raise
    url = make_url(base)
    if request.param == "pg-database":
        db_url = url.set(database=name).render_as_string(hide_password=False)
    else:
        db_url = url.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(hide_password=False)
    try:
        yield request.param, db_url
    finally:
        with admin.connect() as conn:
            if request.param == "pg-database":
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def write_data(settings: Any) -> dict[str, Any]:
    """Tables of every part, with one row or more each; returns what to look for afterwards."""
    from actions.filings import FilingStore, LostNoticeData
    from assistant.dialogue.db import make_engine
    from assistant.dialogue.state import DialogueState
    from assistant.dialogue.store import SqlStateStore
    from assistant.loading import open_store
    from assistant.ops.migrate import upgrade_all
    from assistant.staff.users import UserStore
    from knowledge.store import SqlKnowledgeStore

    upgrade_all(settings.db_url)
    open_store(settings).close()  # seeded from the YAML folder, as at start-up
    filings = FilingStore(settings.db_url)
    view = filings.submit_lost_notice(LostNoticeData(
        company_name="青岛备份餐饮有限公司", uscc="91370211MA3C1234XN", license_type="食品经营许可证",
        license_number="JY13702110012345", lost_date="2026-11-02", circumstances="搬迁时遗失正本",
        contact_name="张海", contact_phone="13812345678"), "backup-sender:1")
    filings.approve(view.filing_id, "reviewer")
    filings.close()
    engine = make_engine(settings.db_url)
    import datetime as dt

    state = DialogueState.new("backup-sender", dt.datetime.now(dt.UTC))
    state.slots["company_name"] = "青岛备份餐饮有限公司"
    SqlStateStore(engine).save(state)
    UserStore(engine).create("backup-admin", "correct-horse-9", "admin", "备份管理员")
    store = SqlKnowledgeStore(engine=engine)
    text_v1 = store.latest("service-hall").text  # type: ignore[union-attr]
    v2 = store.add_version("service-hall", text_v1.replace("name:", "# 备份测试\nname:", 1), "published", "backup-admin")
    engine.dispose()
    return {"filing": view.filing_id, "kb_version": v2.number}


def read_data(settings: Any) -> dict[str, Any]:
    from actions.filings import FilingStore
    from assistant.dialogue.db import make_engine
    from assistant.dialogue.store import SqlStateStore
    from assistant.staff.users import UserStore
    from knowledge.store import SqlKnowledgeStore

    filings = FilingStore(settings.db_url)
    rows = filings.list_filings()
    filings.close()
    engine = make_engine(settings.db_url)
    state = SqlStateStore(engine).load("backup-sender")
    user = UserStore(engine).get_by_name("backup-admin")
    latest = SqlKnowledgeStore(engine=engine).latest("service-hall")
    engine.dispose()
    return {"filings": [(f.filing_id, f.status) for f in rows], "slot": state.slots.get("company_name") if state else None,
            "user": user.role if user else None, "kb_version": latest.number if latest else None}


def wipe(kind: str, db_url: str) -> None:
    if kind == "sqlite":
        path = Path(make_url(db_url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    engine = create_engine(db_url)
    with engine.begin() as conn:
        for table in ("filing_transitions", "filing_items", "filing_notices", "filings", "conversations", "turns",
                      "kb_versions", "staff_sessions", "staff_users"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()


def test_backup_wipe_restore_round_trip(backend: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main
    from assistant.settings import Settings

    kind, db_url = backend
    data_dir = tmp_path / "var"
    (data_dir / "index").mkdir(parents=True)
    (data_dir / "index" / "manifest.json").write_text('{"marker": "index"}', encoding="utf-8")
    monkeypatch.setenv("LINGLING_DATABASE_URL", db_url)
    monkeypatch.setenv("LINGLING_DATA_DIR", str(data_dir))
    settings = Settings()
    wrote = write_data(settings)
    before = read_data(settings)
    assert before["filings"] == [(wrote["filing"], "approved")] and before["slot"] == "青岛备份餐饮有限公司"
    assert before["user"] == "admin" and before["kb_version"] == wrote["kb_version"] == 2

    archive = tmp_path / "backups" / "b.tar.gz"
    assert main(["backup", "--output", str(archive), "--with-index"]) == 0
    assert archive.exists() and "backup written" in capsys.readouterr().out

    wipe(kind, db_url)
    shutil.rmtree(data_dir / "index")
    if kind == "sqlite":
        assert not Path(make_url(db_url).database or "").exists()
    else:
        assert read_data_fails(settings)

    assert main(["restore", str(archive), "--yes"]) == 0
    assert read_data(settings) == before
    assert (data_dir / "index" / "manifest.json").read_text(encoding="utf-8") == '{"marker": "index"}'
    # The restored database is a working one: the app's start-up migrations accept it.
    from assistant.ops.migrate import upgrade_all

    upgrade_all(settings.db_url)
    assert read_data(settings) == before


def read_data_fails(settings: Any) -> bool:
    try:
        read_data(settings)
    except Exception:
        return True
    return False


def test_restore_refuses_other_backend_and_garbage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    monkeypatch.setenv("LINGLING_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LINGLING_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'x.db'}")
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    assert main(["restore", str(junk), "--yes"]) == 1
    assert "not a 灵灵 backup" in capsys.readouterr().err
    assert main(["backup"]) == 1  # no database file yet
    assert "no database file" in capsys.readouterr().err
