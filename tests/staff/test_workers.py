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

    settings = Settings(data_dir=tmp_path, env="test", secret_key="test-secret", encoder="ngram", encoder_threads=1)
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        live_one, live_two = one.app.state.services.knowledge, two.app.state.services.knowledge
        assert live_one.current.generation > 0 and live_one.current.kb is not live_two.current.kb
        staff_of(one).users.create("ed", PASSWORD, "editor")
        login(one, "ed")
        one.headers["X-CSRF-Token"] = csrf_of(one)
        item = live_one.current.kb.items["service-hall"]
        faq = item.faqs[0]
        form = {"question": faq.question, "variants": "\n".join(faq.variants), "answer": "工作进程同步测试答案",
                "topic": faq.topic.value, "source_kind": faq.source.kind.value, "source_ref": faq.source.ref or ""}
        one.post(f"/admin/knowledge/service-hall/faq/{faq.id.split('/', 1)[1]}", data=form)
        assert one.post("/admin/knowledge/service-hall/publish", follow_redirects=False).status_code == 303
        assert live_one.current.kb.faq(faq.id)[1].answer == "工作进程同步测试答案"
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and live_two.current.kb.faq(faq.id)[1].answer != "工作进程同步测试答案":
            time.sleep(0.05)
        assert live_two.current.kb.faq(faq.id)[1].answer == "工作进程同步测试答案"
        reply: Any = two.post("/webhooks/rest/webhook", json={"sender": "w2", "message": faq.question}).json()
        assert reply[0]["text"] == "工作进程同步测试答案"
    # a restart loads the published version from the store, not the YAML files
    with TestClient(create_app(settings)) as three:
        assert three.app.state.services.knowledge.current.kb.faq(faq.id)[1].answer == "工作进程同步测试答案"
