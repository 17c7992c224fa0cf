"""GET /health."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.settings import Settings
from nlu.live import KnowledgeSnapshot
from nlu.retrieval import faq_texts


def test_health_ok(make_client, demo_kb, ngram_pipeline) -> None:  # type: ignore[no-untyped-def]
    r = make_client().get("/health")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == {
        "status": "ok",
        "services": len(demo_kb.items),
        "faqs": len(demo_kb.faqs),
        "encoder": "ngram-1024",
        "vectors": sum(len(faq_texts(i, f)) for i, f in demo_kb.faqs),
    }
    assert body["vectors"] == len(ngram_pipeline.retriever.index)


def test_health_before_start_up(tmp_path: Path) -> None:
    calls = []
    app = create_app(Settings(data_dir=tmp_path, env="test"), knowledge_factory=lambda s: calls.append(s))  # type: ignore[arg-type,return-value,func-returns-value]
    client = TestClient(app)  # not entered: the lifespan (the services' start-up) has not run
    r = client.get("/health")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "starting"}
    assert calls == []


def test_knowledge_factory_runs_once_at_start_up(tmp_path: Path, demo_kb, ngram_pipeline) -> None:  # type: ignore[no-untyped-def]
    made: list[Settings] = []

    def factory(s: Settings) -> KnowledgeSnapshot:
        made.append(s)
        return KnowledgeSnapshot(demo_kb, ngram_pipeline)

    settings = Settings(data_dir=tmp_path, env="test")
    app = create_app(settings, knowledge_factory=factory)
    assert made == []  # nothing is built at app creation
    with TestClient(app) as client:
        assert client.get("/health").json()["status"] == "ok"
        assert client.get("/health").json()["status"] == "ok"
    assert made == [settings]


def test_health_reflects_a_publish(make_client, demo_kb) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    before = client.get("/health").json()["vectors"]
    item, faq = demo_kb.faqs[-1]
    live = client.app.state.services.knowledge
    smaller = item.model_copy(update={"faqs": [f for f in item.faqs if f.id != faq.id]})
    assert live.apply_item(item.id, smaller).removes == [faq.id]
    assert client.get("/health").json()["vectors"] == before - len(faq_texts(item, faq))


def test_unknown_route_is_404(make_client) -> None:  # type: ignore[no-untyped-def]
    r = make_client().get("/no-such-door")
    assert r.status_code == 404, r.text
