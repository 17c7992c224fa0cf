"""`lingling actions` alone follows the knowledge published in the shared database, swapping whole bases."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from actions.live import KnowledgeFollower
from actions.serve import create_action_app
from actions.settings import StateSettings
from knowledge.store import PUBLISHED, SqlKnowledgeStore
from knowledge.versions import read_folder

ITEM = "service-hall"


def _publish_renamed(db_url: str, new_name: str) -> None:
    store = SqlKnowledgeStore(db_url)
    store.migrate()
    if store.is_empty():
        store.seed(read_folder(), author="seed")
    text = store.live_texts()[ITEM]
    old_name = next(line for line in text.splitlines() if line.startswith("name:"))
    store.add_version(ITEM, text.replace(old_name, f"name: {new_name}", 1), PUBLISHED, author="staff-a")
    store.close()


def test_follower_reads_yaml_until_the_store_has_versions_then_follows_publishes(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'kb.db'}"
    SqlKnowledgeStore(db_url).migrate()  # (the action server's start-up upgrades the tables)
    follower = KnowledgeFollower(db_url)
    try:
        first = follower.kb()
        assert ITEM in first.items  # empty store: the YAML folder
        assert follower.sync() is False
        _publish_renamed(db_url, "政务服务大厅（新名称）")
        assert follower.sync() is True
        assert follower.kb() is not first, "a publish swaps in a new base"
        assert first.items[ITEM].name != "政务服务大厅（新名称）", "the base an action already holds is never changed"
        assert follower.kb().items[ITEM].name == "政务服务大厅（新名称）"
        assert follower.sync() is False
    finally:
        follower.close()


def test_readers_never_see_a_half_updated_base(tmp_path: Path) -> None:
    """While publishes are applied, every read finds every item (the old base emptied then refilled did not)."""
    db_url = f"sqlite:///{tmp_path / 'kb.db'}"
    _publish_renamed(db_url, "大厅零")
    follower = KnowledgeFollower(db_url)
    missing: list[int] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            kb = follower.kb()
            if ITEM not in kb.items or not kb.items:
                missing.append(len(kb.items))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(15):
            _publish_renamed(db_url, f"大厅{i}")
            assert follower.sync() is True
    finally:
        done.set()
        reader.join(10)
        follower.close()
    assert missing == []
    assert follower.kb().items[ITEM].name == "大厅14"


def test_action_server_picks_up_a_publish_within_two_seconds(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    _publish_renamed(db_url, "大厅甲")
    app = create_action_app(StateSettings(data_dir=tmp_path, database_url=db_url))
    with TestClient(app) as client:
        assert client.get("/health").json()["status"] == "ok"
        services = app.state.services
        answer_faq = services.actions.actions["action_answer_faq"].__self__
        assert answer_faq.deps.knowledge == services.knowledge, "the actions read the followed knowledge base"
        assert answer_faq.deps.kb.items[ITEM].name == "大厅甲"
        _publish_renamed(db_url, "大厅乙")
        deadline = time.monotonic() + 2.0
        while answer_faq.deps.kb.items[ITEM].name != "大厅乙" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert answer_faq.deps.kb.items[ITEM].name == "大厅乙"
    assert app.state.services is None  # closed with the app
