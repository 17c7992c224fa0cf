"""Row 6: one SQLite lock froze everything for 30 s — /health, static files and /model/parse included — because
the dialogue's database calls and rasa-sdk's synchronous actions ran on the event loop; /health/ready said 200
while the database was locked.

Here another connection holds SQLite's write lock (as a long write or a backup would) while a chat message
and an action call wait for it: the other doors answer, /health/ready says 503 at once, and once the lock is
gone the waiting message and action complete.
"""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

SEARCH_CALL = {
    "next_action": "action_search_notice", "sender_id": "rt-6", "domain": {}, "version": "3.6.0",
    "tracker": {"sender_id": "rt-6", "slots": {"notice_query": "明远"}, "events": [], "paused": False,
                "latest_message": {"text": "查公告 明远", "intent": {"name": "search_notice"}, "entities": []},
                "followup_action": None, "active_loop": {}, "latest_action_name": None},
}


def test_a_locked_database_leaves_the_other_doors_answering(serve: Any) -> None:
    live = serve(rate_limit=False)
    path = live.services.settings.db_url.removeprefix("sqlite:///")
    assert httpx.post(f"{live.url}/webhooks/rest/webhook", json={"sender": "rt-6", "message": "你好"},
                      timeout=30).status_code == 200  # the conversation exists: its next turn writes
    holder = sqlite3.connect(path, isolation_level=None, timeout=5)
    pool = ThreadPoolExecutor(2)
    try:
        holder.execute("BEGIN IMMEDIATE")  # the write lock, held until the test lets it go
        chat = pool.submit(httpx.post, f"{live.url}/webhooks/rest/webhook",
                           json={"sender": "rt-6", "message": "医疗机构校验要多久"}, timeout=60)
        action = pool.submit(httpx.post, f"{live.url}/webhook", json=SEARCH_CALL, timeout=60)
        time.sleep(1.0)  # both reach the database and wait for its lock
        assert not chat.done() and not action.done()
        # Before the fix each of these waited for the lock with the event loop (up to 30 s): no answer.
        assert httpx.get(f"{live.url}/health", timeout=15).status_code == 200
        assert httpx.get(f"{live.url}/static/css/lingling.css", timeout=15).status_code == 200
        r = httpx.post(f"{live.url}/model/parse", json={"text": "食品经营许可证丢了怎么补办"}, timeout=15)
        assert r.status_code == 200, r.text
        ready = httpx.get(f"{live.url}/health/ready", timeout=15)
        assert ready.status_code == 503, ready.text  # before the fix: 200 (SELECT 1 needs no lock)
        assert ready.json()["message"]
        holder.execute("ROLLBACK")
        assert chat.result(timeout=60).status_code == 200
        assert action.result(timeout=60).status_code == 200
        assert httpx.get(f"{live.url}/health/ready", timeout=15).status_code == 200
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
        pool.shutdown(wait=True)
