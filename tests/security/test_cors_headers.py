"""CORS limited to the configured portal origins; security headers on every answer; the action server door
closed to the internet."""

from __future__ import annotations

from typing import Any

import pytest

PORTAL = "https://www.xihaian.gov.cn"
EVIL = "https://evil.example.com"
SENDER = "d" * 24


@pytest.fixture
def client(make_client: Any) -> Any:
    return make_client(cors_origins=f"{PORTAL}, https://*.qingdao.gov.cn")


def test_preflight_from_a_portal_is_allowed(client: Any) -> None:
    r = client.options("/webhooks/rest/webhook", headers={"Origin": PORTAL, "Access-Control-Request-Method": "POST",
                                                          "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == PORTAL
    assert "POST" in r.headers["access-control-allow-methods"] and "content-type" in r.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in r.headers


def test_preflight_from_elsewhere_is_refused(client: Any) -> None:
    r = client.options("/api/chat", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"})
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    assert r.json()["message"]
    r = client.options("/api/chat", headers={"Origin": PORTAL, "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "x-evil"})
    assert r.status_code == 403


def test_posts_by_origin(client: Any) -> None:
    body = {"sender": SENDER, "message": "你好"}
    ok = client.post("/api/chat", json=body, headers={"Origin": PORTAL})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == PORTAL
    assert "Origin" in ok.headers["vary"]
    bad = client.post("/api/chat", json=body, headers={"Origin": EVIL})
    assert bad.status_code == 403 and bad.json()["error"] == "origin_not_allowed" and "授权" in bad.json()["message"]
    assert client.post("/webhooks/rest/webhook", json={"sender": "s", "message": "你好"}, headers={"Origin": "null"}).status_code == 403
    same = client.post("/api/chat", json=body, headers={"Origin": "http://testserver"})  # our own pages
    assert same.status_code == 200 and "access-control-allow-origin" not in same.headers
    server = client.post("/api/chat", json=body)  # no Origin: not a browser
    assert server.status_code == 200 and "access-control-allow-origin" not in server.headers
    sub = client.post("/api/chat", json=body, headers={"Origin": "https://zwfw.qingdao.gov.cn"})
    assert sub.status_code == 200 and sub.headers["access-control-allow-origin"] == "https://zwfw.qingdao.gov.cn"
    assert client.post("/api/chat", json=body, headers={"Origin": "https://evilqingdao.gov.cn"}).status_code == 403
    assert client.post("/api/chat", json=body, headers={"Origin": "http://zwfw.qingdao.gov.cn"}).status_code == 403
    assert server.status_code == 200 and "access-control-allow-origin" not in server.headers


def test_reads_from_elsewhere_get_no_cors_grant(client: Any) -> None:
    r = client.get("/widget.js", headers={"Origin": EVIL})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers  # was "*"
    r = client.get("/notices", params={"format": "json"}, headers={"Origin": PORTAL})
    assert r.headers["access-control-allow-origin"] == PORTAL


def test_loopback_pages_only_outside_production(make_client: Any, tmp_path: Any, ngram_pipeline: Any, demo_kb: Any) -> None:
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot

    dev = make_client()
    r = dev.post("/api/chat", json={"sender": SENDER, "message": "你好"}, headers={"Origin": "http://127.0.0.1:5173"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"
    settings = Settings(env="production", secret_key="s" * 32, data_dir=tmp_path / "prod", cors_origins=PORTAL)
    app = create_app(settings, knowledge_factory=lambda _: KnowledgeSnapshot(demo_kb, ngram_pipeline))
    with TestClient(app) as prod:
        r = prod.post("/api/chat", json={"sender": SENDER, "message": "你好"}, headers={"Origin": "http://127.0.0.1:5173"})
        assert r.status_code == 403
        r = prod.post("/api/chat", json={"sender": SENDER, "message": "你好"}, headers={"Origin": PORTAL})
        assert r.status_code == 200


def test_socketio_accepts_the_same_portals(client: Any) -> None:
    policy = client.app.state.socketio.origins
    assert policy(PORTAL) and not policy(EVIL)


def test_security_headers_everywhere(client: Any) -> None:
    for r in (client.get("/health"), client.post("/model/parse", json={"text": "你好"}), client.get("/no-such-page")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in r.headers
        assert len(r.headers["x-request-id"]) >= 16


def test_admin_cannot_be_framed(client: Any) -> None:
    for r in (client.get("/admin/login"), client.get("/admin/no-such-page"), client.get("/admin", follow_redirects=False),
              client.post("/admin/privacy/delete", json={"sender": "x"})):
        assert r.headers["x-frame-options"] == "DENY", r.url
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], r.url
        assert "no-store" in r.headers["cache-control"]
    page = client.get("/admin/login")
    assert "script-src 'self'" in page.headers["content-security-policy"]  # the console's own policy is kept


def test_widget_frame_only_in_configured_portals(client: Any, make_client: Any) -> None:
    csp = client.get("/", params={"embed": 1}).headers["content-security-policy"]
    assert csp.endswith(f"frame-ancestors 'self' https://*.qingdao.gov.cn {PORTAL}")
    assert "frame-ancestors 'self'" in client.get("/").headers["content-security-policy"]
    open_csp = make_client().get("/", params={"embed": 1}).headers["content-security-policy"]
    assert "frame-ancestors *" in open_csp  # no portal configured: any page may embed the widget (as before)


def test_hsts_when_configured(make_client: Any) -> None:
    r = make_client(hsts=True).get("/health")
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "strict-transport-security" in make_client(tls=True).get("/health").headers


def test_action_door_takes_local_calls_or_the_token(make_client: Any) -> None:
    from fastapi.testclient import TestClient

    local = make_client(action_token="rasa-action-token")
    assert local.get("/actions").status_code == 200
    call = {"next_action": "action_answer_faq", "tracker": {"sender_id": "x"}}
    outside = TestClient(local.app, client=("203.0.113.5", 40000))
    r = outside.post("/webhook", json=call)
    assert r.status_code == 403 and r.json()["message"]
    assert outside.get("/actions").status_code == 403
    assert TestClient(local.app, client=("10.20.0.4", 40000)).get("/actions").status_code == 403  # private: no exception
    assert outside.get("/actions", params={"token": "rasa-action-token"}).status_code == 200  # as Rasa sends it
    assert outside.get("/actions", params={"token": "wrong"}).status_code == 403


@pytest.mark.parametrize("call", [
    [], "x", {}, {"next_action": 3}, {"next_action": "action_answer_faq"}, {"next_action": "action_answer_faq", "tracker": []},
    {"next_action": "action_answer_faq", "tracker": {"sender_id": "x", "slots": []}},
    {"next_action": "action_answer_faq", "tracker": {"sender_id": "x", "events": [1]}},
    {"next_action": "action_answer_faq", "tracker": {"sender_id": "x"}, "domain": []},
])
def test_misshapen_action_calls_are_400(make_client: Any, call: Any) -> None:
    r = make_client().post("/webhook", json=call)
    assert r.status_code == 400 and r.json() == {"error": "Invalid body request"}
