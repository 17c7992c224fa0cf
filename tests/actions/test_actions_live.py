"""`lingling actions` alone follows the knowledge published in the shared database."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from actions.live import KnowledgeFollower
from actions.serve import create_action_app
from actions.server import EXECUTOR_KEY
from assistant.settings import Settings
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
    follower = KnowledgeFollower(db_url)
    try:
        assert ITEM in follower.kb.items  # empty store: the YAML folder
        first = follower.kb
        assert follower.sync() is False
        _publish_renamed(db_url, "政务服务大厅（新名称）")
        assert follower.sync() is True
        assert follower.kb is first, "the object the actions hold is updated in place"
        assert follower.kb.items[ITEM].name == "政务服务大厅（新名称）"
        assert follower.sync() is False
    finally:
        follower.close()


def test_action_server_picks_up_a_publish_within_two_seconds(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    _publish_renamed(db_url, "大厅甲")
    settings = Settings(data_dir=tmp_path, env="test", secret_key="test-secret", encoder="ngram", database_url=db_url)
    app = create_action_app(settings)
    with TestClient(app) as client:
        assert client.get("/health").json()["status"] == "ok"
        follower = app.state.knowledge_follower
        executor = getattr(app.state, EXECUTOR_KEY)
        answer_faq = executor.actions["action_answer_faq"].__self__
        assert answer_faq.deps.kb is follower.kb, "the actions hold the followed knowledge base"
        assert follower.kb.items[ITEM].name == "大厅甲"
        _publish_renamed(db_url, "大厅乙")
        deadline = time.monotonic() + 2.0
        while follower.kb.items[ITEM].name != "大厅乙" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert answer_faq.deps.kb.items[ITEM].name == "大厅乙"
