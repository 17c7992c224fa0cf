"""Red team, row 11 (the parts about defaults and exports): what a forgotten setting or a crafted value opened.

Found: `/docs`, `/openapi.json` and `/metrics` public in production; `LINGLING_ENV` defaulted to development and
the published default secret was accepted in `test` too; the Excel export wrote a text starting with `=` as a
formula; `online_entry.url` accepted `javascript:`; an IPv6 client got a new rate-limit bucket per address (a /64
holds 2^64 of them).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient

PROD = {"env": "production", "secret_key": "a-real-secret-for-the-red-team-test"}


@pytest.fixture
def production(tmp_path_factory: pytest.TempPathFactory, ngram_pipeline: Any, demo_kb: Any) -> Iterator[Any]:
    """make(**settings) → a started TestClient (peer 127.0.0.1) of a production app."""
    from assistant.app import create_app
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot

    with ExitStack() as stack:
        def make(**extra: Any) -> TestClient:
            settings = Settings(data_dir=tmp_path_factory.mktemp("prod"), **PROD, **extra)
            app = create_app(settings, knowledge_factory=lambda _: KnowledgeSnapshot(demo_kb, ngram_pipeline))
            return stack.enter_context(TestClient(app, client=("127.0.0.1", 50000)))

        yield make


def test_api_description_is_not_public_in_production(production: Any, make_client: Any) -> None:
    prod = production()
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert prod.get(path).status_code == 404, path
    assert production(api_docs=True).get("/openapi.json").status_code == 200  # when an operator wants it
    assert make_client().get("/openapi.json").status_code == 200  # outside production


def test_metrics_in_production_need_the_token_or_this_machine(production: Any) -> None:
    prod = production()
    outside = TestClient(prod.app, client=("203.0.113.8", 40000))
    assert outside.get("/metrics").status_code == 403
    assert prod.get("/metrics", headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 403  # relayed
    assert prod.get("/metrics").status_code == 200  # Prometheus on this machine
    with_token = production(metrics_token="scrape-token")
    far = TestClient(with_token.app, client=("203.0.113.8", 40000))
    assert far.get("/metrics").status_code == 401
    assert far.get("/metrics", headers={"Authorization": "Bearer scrape-token"}).status_code == 200


def test_a_forgotten_environment_is_production_and_the_default_secret_serves_nowhere_but_development(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from assistant.app import create_app
    from assistant.settings import DEV_SECRET, Environment, Settings, SettingsError

    monkeypatch.delenv("LINGLING_ENV", raising=False)
    monkeypatch.delenv("LINGLING_SECRET_KEY", raising=False)
    assert Settings(data_dir=tmp_path).env is Environment.PRODUCTION
    for env in ("production", "test"):
        with pytest.raises(SettingsError, match="LINGLING_SECRET_KEY"):
            create_app(Settings(data_dir=tmp_path, env=env))
    assert Settings(data_dir=tmp_path, env="development").secret_key == DEV_SECRET
    create_app(Settings(data_dir=tmp_path, env="development"))  # a developer's machine


def test_the_excel_export_writes_no_formula(demo_kb: Any) -> None:
    from assistant.staff.transfer import export_xlsx
    from knowledge.loader import KnowledgeBase

    item = next(iter(demo_kb.items.values()))
    faq = item.faqs[0].model_copy(update={"answer": '=HYPERLINK("https://evil.example/","点击领取补贴")',
                                          "question": "=1+1"})
    kb = KnowledgeBase(items={item.id: item.model_copy(update={"faqs": [faq, *item.faqs[1:]]})})
    data = export_xlsx(kb)
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet and "HYPERLINK" in sheet  # kept as text, never evaluated

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws["C2"].value == "=1+1" and ws["C2"].data_type == "s"  # the import reads back exactly that text


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", " JavaScript:alert(1)", "data:text/html,<b>x</b>",
                                 "vbscript:msgbox(1)", "//evil.example/"])
def test_online_entry_takes_web_addresses_only(demo_kb: Any, url: str) -> None:
    from pydantic import ValidationError

    from knowledge.models import ServiceItem

    item = next(i for i in demo_kb.items.values() if i.online_entry is not None)
    raw = item.model_dump(mode="json")
    raw["online_entry"]["url"] = url
    with pytest.raises(ValidationError, match="online_entry"):
        ServiceItem.model_validate(raw)
    raw["online_entry"]["url"] = "https://www.shandong.gov.cn/"
    ServiceItem.model_validate(raw)


def test_an_ipv6_client_is_limited_per_64_network() -> None:
    from assistant.security.ratelimit import Rate, RateLimiter

    limiter = RateLimiter(Rate(1, 2), Rate(0, 1))
    waits = [limiter.check("/api/chat", f"2001:db8:1:2::{n:x}", None)[0] for n in range(1, 4)]  # new address each time
    assert waits[0] == 0 and waits[1] == 0 and waits[2] > 0
    assert limiter.check("/api/chat", "2001:db8:1:3::1", None)[0] == 0  # the next /64 is someone else
    assert limiter.check("/api/chat", "::ffff:198.51.100.4", None)[0] == 0
    assert limiter.check("/api/chat", "198.51.100.4", None)[0] == 0
    assert limiter.check("/api/chat", "198.51.100.4", None)[0] > 0  # IPv4-mapped is the same IPv4 client
