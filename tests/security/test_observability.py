"""Request ids, the 500 envelope for anything unhandled, and Prometheus /metrics."""

from __future__ import annotations

import re
from typing import Any

from tests.security.flows import file_lost_notice

SENDER = "e" * 24


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a text exposition (0.0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_request_id_is_echoed_or_made(make_client: Any) -> None:
    client = make_client()
    assert client.get("/health", headers={"X-Request-ID": "abc-123.X"}).headers["x-request-id"] == "abc-123.X"
    made = client.get("/health", headers={"X-Request-ID": "bad id with spaces;" + "x" * 80}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)


def test_unhandled_errors_are_a_json_500_without_internals(tmp_path: Any, ngram_pipeline: Any, demo_kb: Any) -> None:
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot

    app = create_app(Settings(data_dir=tmp_path, env="test"), knowledge_factory=lambda _: KnowledgeSnapshot(demo_kb, ngram_pipeline))

    def boom() -> None:
        raise RuntimeError("secret internals 13812345678")

    app.add_api_route("/boom", boom)
    with TestClient(app) as client:
        r = client.get("/boom", headers={"X-Request-ID": "req-500"})
    assert r.status_code == 500
    body = r.json()
    assert body["error"] == "internal_error" and "稍后再试" in body["message"] and "req-500" in body["detail"]
    assert "secret" not in r.text and "Traceback" not in r.text
    assert r.headers["x-request-id"] == "req-500" and r.headers["x-content-type-options"] == "nosniff"


def test_metrics(make_client: Any) -> None:
    client = make_client(rate_limit=False)
    before = client.get("/metrics").text
    client.post("/api/chat", json={"sender": SENDER, "message": "你好"})
    client.post("/api/chat", json={"sender": SENDER, "message": "今天天气怎么样，股票会涨吗"})
    client.get("/notices/XHA-YS-2099-9999")
    receipt = file_lost_notice(client, "metrics-1")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert metric(text, "lingling_http_requests_total", method="POST", route="/api/chat", status="200") >= 2
    assert metric(text, "lingling_http_requests_total", method="GET", route="/notices/{number}", status="404") >= 1
    assert metric(text, "lingling_http_request_duration_seconds_count", method="POST", route="/api/chat") >= 2
    assert 'le="0.1"' in text
    web = metric(text, "lingling_messages_total", channel="web") - metric(before, "lingling_messages_total", channel="web")
    assert web == 2
    rest = metric(text, "lingling_messages_total", channel="rest") - metric(before, "lingling_messages_total", channel="rest")
    assert rest == 11  # the start, nine form answers and the confirmation
    assert "lingling_nlu_fallbacks_total" in text and "lingling_nlu_out_of_scope_total" in text
    oos = metric(text, "lingling_nlu_out_of_scope_total", channel="web") - metric(before, "lingling_nlu_out_of_scope_total", channel="web")
    assert oos >= 1
    assert metric(text, "lingling_filings_submitted_total", kind="lost_notice") == 1
    assert receipt["kind"] == "lost_notice"
    assert metric(text, "lingling_nlu_intents_total", intent="greet") >= 1


def test_rate_limited_requests_are_counted(make_client: Any) -> None:
    client = make_client(rate_ip_per_minute=1, rate_ip_burst=1)
    before = metric(client.get("/metrics").text, "lingling_rate_limited_total", door="/model/parse", limit="ip")
    for _ in range(3):
        client.post("/model/parse", json={"text": "你好"})
    after = metric(client.get("/metrics").text, "lingling_rate_limited_total", door="/model/parse", limit="ip")
    assert after - before == 2


def test_metrics_token_and_switch(make_client: Any) -> None:
    guarded = make_client(metrics_token="t0ken")
    assert guarded.get("/metrics").status_code == 401
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert guarded.get("/metrics", headers={"Authorization": "Bearer t0ken"}).status_code == 200
    assert make_client(metrics=False).get("/metrics").status_code == 404


def test_multiprocess_mode_adds_up_workers(tmp_path: Any) -> None:
    """PROMETHEUS_MULTIPROC_DIR set: /metrics of any worker reports every worker's counts."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    worker = ("from assistant.observability import metrics\n"
              "metrics.MESSAGES.labels('web').inc()\nmetrics.observe_request('POST', '/api/chat', 200, 0.02)\n")
    scrape = "from assistant.observability import metrics\nprint(metrics.exposition([])[0].decode())\n"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", worker], env=env, check=True, timeout=60)
    out = subprocess.run([sys.executable, "-c", scrape], env=env, check=True, timeout=60, capture_output=True, text=True).stdout
    assert metric(out, "lingling_messages_total", channel="web") == 2
    assert metric(out, "lingling_http_request_duration_seconds_count", method="POST", route="/api/chat") == 2
