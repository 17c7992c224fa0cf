"""One typed start-up: every service is built once, in order, and closed once, in reverse order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import assistant.services as services_module
from actions.filings import FilingStore
from assistant.app import create_app
from assistant.services import Services
from assistant.settings import Settings
from nlu.live import KnowledgeSnapshot


def build(tmp_path: Path, demo_kb: Any, ngram_pipeline: Any) -> Any:
    return create_app(Settings(data_dir=tmp_path / "state", env="test"),
                      knowledge_factory=lambda _: KnowledgeSnapshot(demo_kb, ngram_pipeline))


def test_the_services_are_typed_fields_shared_by_every_door(tmp_path: Path, demo_kb: Any, ngram_pipeline: Any) -> None:
    with TestClient(build(tmp_path, demo_kb, ngram_pipeline)) as client:
        services = client.app.state.services  # type: ignore[attr-defined]
        assert isinstance(services, Services)
        assert services.staff.filings is services.filings and services.staff.dialogue is services.dialogue
        assert services.staff.live is services.knowledge and services.dialogue.knowledge is services.knowledge
        answer_faq = services.actions.actions["action_answer_faq"].__self__
        assert answer_faq.deps.filings is services.filings and answer_faq.deps.kb is services.knowledge.current.kb
        assert client.get("/health/ready").json()["status"] == "ok"
    assert client.app.state.services is None  # type: ignore[attr-defined]


def test_one_filing_store_made_and_closed_once(tmp_path: Path, demo_kb: Any, ngram_pipeline: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[FilingStore] = []
    closed: list[FilingStore] = []

    class Counted(FilingStore):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

        def close(self) -> None:
            closed.append(self)
            super().close()

    monkeypatch.setattr(services_module, "FilingStore", Counted)
    with TestClient(build(tmp_path, demo_kb, ngram_pipeline)) as client:
        assert client.post("/webhooks/rest/webhook", json={"sender": "s", "message": "你好"}).status_code == 200
        assert client.get("/notices", params={"format": "json"}).status_code == 200
        assert len(made) == 1 and closed == []
    assert closed == made


def test_services_close_in_reverse_order(tmp_path: Path, demo_kb: Any, ngram_pipeline: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.dialogue.manager import DialogueManager
    from assistant.ops.runtime import Ops

    order: list[str] = []
    for name, cls in (("dialogue", DialogueManager), ("filings", FilingStore)):
        original = cls.close
        monkeypatch.setattr(cls, "close", lambda self, _n=name, _o=original: (order.append(_n), _o(self))[1])
    original_aclose = Ops.aclose

    async def aclose(self: Ops) -> None:
        order.append("ops")
        await original_aclose(self)

    monkeypatch.setattr(Ops, "aclose", aclose)
    with TestClient(build(tmp_path, demo_kb, ngram_pipeline)):
        assert order == []
    # made in the order filings, dialogue, ops: closed the other way round
    assert order == ["ops", "dialogue", "filings"]


def test_a_failing_start_up_closes_what_was_built(tmp_path: Path, demo_kb: Any, ngram_pipeline: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[str] = []
    original = FilingStore.close
    monkeypatch.setattr(FilingStore, "close", lambda self: (closed.append("filings"), original(self))[1])

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("staff console cannot start")

    monkeypatch.setattr(services_module, "build_staff", broken)
    with pytest.raises(RuntimeError, match="staff console"), TestClient(build(tmp_path, demo_kb, ngram_pipeline)):
        pass
    assert closed == ["filings"]
