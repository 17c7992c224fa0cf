"""The default engine loads the live base from the knowledge store; a publish made by one worker process
reaches another worker (another app on the same database) within 2 s, without a restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.staff.conftest import PASSWORD, csrf_of, login, staff_of


def test_default_engine_seeds_the_store_and_other_workers_follow_publishes(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.settings import Settings
    from assistant.staff.live import GENERATION_KEY

    settings = Settings(data_dir=tmp_path, env="test", secret_key="test-secret", encoder="ngram", encoder_threads=1)
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        engine_one, engine_two = one.app.state.engine, two.app.state.engine
        assert engine_one.extras[GENERATION_KEY] > 0 and engine_one.kb is not engine_two.kb
        staff_of(one).users.create("ed", PASSWORD, "editor")
        login(one, "ed")
        one.headers["X-CSRF-Token"] = csrf_of(one)
        item = engine_one.kb.items["service-hall"]
        faq = item.faqs[0]
        form = {"question": faq.question, "variants": "\n".join(faq.variants), "answer": "工作进程同步测试答案",
                "topic": faq.topic.value, "source_kind": faq.source.kind.value, "source_ref": faq.source.ref or ""}
        one.post(f"/admin/knowledge/service-hall/faq/{faq.id.split('/', 1)[1]}", data=form)
        assert one.post("/admin/knowledge/service-hall/publish", follow_redirects=False).status_code == 303
        assert engine_one.kb.faq(faq.id)[1].answer == "工作进程同步测试答案"
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and engine_two.kb.faq(faq.id)[1].answer != "工作进程同步测试答案":
            time.sleep(0.05)
        assert engine_two.kb.faq(faq.id)[1].answer == "工作进程同步测试答案"
        reply: Any = two.post("/webhooks/rest/webhook", json={"sender": "w2", "message": faq.question}).json()
        assert reply[0]["text"] == "工作进程同步测试答案"
    # a restart loads the published version from the store, not the YAML files
    with TestClient(create_app(settings)) as three:
        assert three.app.state.engine.kb.faq(faq.id)[1].answer == "工作进程同步测试答案"
