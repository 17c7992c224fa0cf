"""GET /health."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.container import Engine
from assistant.settings import Settings
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
    app = create_app(Settings(data_dir=tmp_path, env="test"), engine_factory=lambda s: calls.append(s))  # type: ignore[arg-type,return-value,func-returns-value]
    client = TestClient(app)  # not entered: the lifespan (engine factory) has not run
    r = client.get("/health")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "starting"}
    assert calls == []


def test_engine_factory_runs_once_at_start_up(tmp_path: Path, demo_kb, ngram_pipeline) -> None:  # type: ignore[no-untyped-def]
    made: list[Engine] = []

    def factory(s: Settings) -> Engine:
        made.append(Engine(settings=s, kb=demo_kb, nlu=ngram_pipeline))
        return made[-1]

    settings = Settings(data_dir=tmp_path, env="test")
    app = create_app(settings, engine_factory=factory)
    assert made == []  # nothing is built at app creation
    with TestClient(app) as client:
        assert client.get("/health").json()["status"] == "ok"
        assert client.get("/health").json()["status"] == "ok"
    assert len(made) == 1 and made[0].settings is settings


def test_health_reflects_incremental_updates(make_client, ngram_pipeline_copy, demo_kb) -> None:  # type: ignore[no-untyped-def]
    client = make_client(pipeline=ngram_pipeline_copy)
    before = client.get("/health").json()["vectors"]
    item, faq = demo_kb.faqs[-1]
    ngram_pipeline_copy.remove_faq(demo_kb, faq.id)
    assert client.get("/health").json()["vectors"] == before - len(faq_texts(item, faq))


def test_unknown_route_is_404(make_client) -> None:  # type: ignore[no-untyped-def]
    r = make_client().get("/no-such-door")
    assert r.status_code == 404, r.text


# ---- optional route modules (assistant/routes/more.py) ---------------------------------------


def test_missing_optional_route_module_is_skipped(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fastapi import FastAPI

    from assistant.routes import more

    monkeypatch.setattr(more, "MODULES", ("lingling_no_such_module",))
    app = FastAPI()
    more.register(app, Settings(data_dir=tmp_path, env="test"))
    assert not [r for r in app.routes if getattr(r, "path", "").startswith("/lingling")]


def test_optional_route_module_in_a_missing_package_is_skipped(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fastapi import FastAPI

    from assistant.routes import more

    monkeypatch.setattr(more, "MODULES", ("lingling_no_such_package.routes",))
    more.register(FastAPI(), Settings(data_dir=tmp_path, env="test"))


def test_broken_optional_route_module_is_not_hidden(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A module that exists but fails to import must fail loudly, not vanish."""
    import sys
    import types

    from fastapi import FastAPI

    from assistant.routes import more

    def broken_register(app, settings):  # type: ignore[no-untyped-def]
        import lingling_missing_dependency  # type: ignore[import-not-found]  # noqa: F401

    mod = types.ModuleType("lingling_test_broken_routes")
    mod.register = broken_register  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "lingling_test_broken_routes", mod)
    monkeypatch.setattr(more, "MODULES", ("lingling_test_broken_routes",))
    with pytest.raises(ModuleNotFoundError):
        more.register(FastAPI(), Settings(data_dir=tmp_path, env="test"))
