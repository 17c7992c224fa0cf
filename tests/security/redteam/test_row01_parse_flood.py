"""Row 1: 42 anonymous POST /model/parse requests stalled the whole server for 70 s+; the door took 100,000
characters and date extraction / normalisation were quadratic (tests/nlu/test_linear_time.py counts that).

Here: the door takes no more than a chat message, and parses that do not finish (held on an event the test
sets) leave /health, the notice board, the staff login and static files answering.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from nlu.live import KnowledgeSnapshot
from nlu.pipeline import NluPipeline

FLOOD = 42  # the number: more than Starlette's 40 worker threads


def test_parse_takes_no_more_than_a_chat_message(make_client: Any) -> None:
    client = make_client()
    limit = client.app.state.settings.max_message_chars
    attack = ("2025年1月1日" * (limit // 9 + 50))[: limit + 200]
    r = client.post("/model/parse", json={"text": attack})
    assert r.status_code == 413, r.text[:300]
    assert str(limit) in r.json()["message"]
    r = client.post("/model/parse", json={"text": attack[:limit]})
    assert r.status_code == 200, r.text[:300]


class HeldPipeline(NluPipeline):
    """The ngram pipeline, but a new text's parse waits until `release` is set (a parse that takes forever)."""

    release = threading.Event()
    entered = 0

    def parse(self, text: str, today: Any = None, focus: Any = None) -> Any:
        type(self).entered += 1
        type(self).release.wait(120)
        return super().parse(text, today, focus)


def test_a_parse_flood_leaves_the_other_doors_answering(serve: Any, demo_kb: Any, ngram_pipeline: Any) -> None:
    held = HeldPipeline(demo_kb, ngram_pipeline.cfg, ngram_pipeline.encoder, ngram_pipeline.retriever,
                        ngram_pipeline.classifier)
    HeldPipeline.release.clear()
    HeldPipeline.entered = 0
    live = serve(knowledge=KnowledgeSnapshot(demo_kb, held), rate_limit=False)
    pool = ThreadPoolExecutor(FLOOD)
    try:
        flood = [pool.submit(httpx.post, f"{live.url}/model/parse", json={"text": f"第{i}个问题"}, timeout=180)
                 for i in range(FLOOD)]
        deadline = time.monotonic() + 60
        while HeldPipeline.entered < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert HeldPipeline.entered >= 2
        time.sleep(0.5)  # the rest of the flood arrives and waits
        for path in ("/health", "/notices", "/admin/login", "/static/css/lingling.css"):
            r = httpx.get(live.url + path, timeout=20)  # before the fix: no answer while the parses hang
            assert r.status_code == 200, (path, r.status_code)
        HeldPipeline.release.set()
        statuses = [f.result(timeout=180).status_code for f in flood]
        assert set(statuses) <= {200, 503} and statuses.count(200) >= 2, statuses
    finally:
        HeldPipeline.release.set()
        pool.shutdown(wait=True)
