"""Red team, row 2: the action door (/webhook) behind a reverse proxy.

Found: the door admitted every private address and any request a proxy on this machine relayed; a direct
`action_submit_lost_notice` then created a filing without the dialogue's checks or read-back. `lingling serve`
left uvicorn trusting X-Forwarded-For from 127.0.0.1, so every visitor behind the proxy shared one rate-limit
bucket — or could name any address they liked.
Now: a direct loopback call (the Rasa server on this machine) or the action token (`?token=`, as Rasa 3 sends
`action_endpoint.token`); proxy headers trusted only from LINGLING_FORWARDED_ALLOW_IPS; limits per real client.
Loopback only; a handful of requests.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.live_server import serve_in_thread

TOKEN = "rasa-action-token-for-the-test"


def submit_call(sender: str) -> dict[str, Any]:
    """What a Rasa server sends to run action_submit_lost_notice, every slot filled."""
    slots = {"company_name": "青岛红队测试餐饮有限公司", "uscc": "91370211MA3C1234XN", "license_type": "食品经营许可证",
             "license_number": "JY13702110012345", "lost_date": "2025-05-01", "circumstances": "搬迁时遗失",
             "contact_name": "张海", "contact_phone": "13812345678", "form_session_id": sender}
    return {"next_action": "action_submit_lost_notice", "sender_id": sender, "version": "3.6.0", "domain": {},
            "tracker": {"sender_id": sender, "slots": slots, "latest_message": {}, "events": [], "paused": False,
                        "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"}}


def filings_of(client: TestClient) -> int:
    return len(client.app.state.services.filings.list_filings(limit=500))  # type: ignore[attr-defined]


def test_a_request_relayed_by_a_local_proxy_creates_no_filing(make_client: Any) -> None:
    local = make_client()  # peer 127.0.0.1: the proxy on this machine
    r = local.post("/webhook", json=submit_call("relayed-1"), headers={"X-Forwarded-For": "198.51.100.23"})
    assert r.status_code == 403, r.text
    r = local.post("/webhook", json=submit_call("relayed-2"), headers={"Forwarded": "for=198.51.100.23"})
    assert r.status_code == 403, r.text
    assert filings_of(local) == 0


@pytest.mark.parametrize("peer", ["10.0.0.9", "192.168.1.20", "172.16.5.5", "203.0.113.5"])
def test_no_other_address_without_the_token(make_client: Any, peer: str) -> None:
    app = make_client().app
    r = TestClient(app, client=(peer, 40000)).post("/webhook", json=submit_call(f"peer-{peer}"))
    assert r.status_code == 403, r.text
    assert len(app.state.services.filings.list_filings()) == 0


def test_the_token_opens_the_door_from_anywhere_and_the_local_rasa_needs_none(make_client: Any) -> None:
    client = make_client(action_token=TOKEN)
    app = client.app
    far = TestClient(app, client=("10.0.0.9", 40000))
    assert far.post("/webhook", json=submit_call("t-wrong"), params={"token": "guess"}).status_code == 403
    r = far.post("/webhook", json=submit_call("t-ok"), params={"token": TOKEN})  # as Rasa 3 sends it
    assert r.status_code == 200, r.text
    r = client.post("/webhook", json=submit_call("direct"))  # Rasa on this machine, no proxy header
    assert r.status_code == 200, r.text
    assert len(app.state.services.filings.list_filings()) == 2


def test_serve_trusts_no_proxy_header_by_default(tmp_path: Any) -> None:
    from assistant.server import uvicorn_options
    from assistant.settings import Settings

    assert uvicorn_options(Settings(data_dir=tmp_path)) == {"proxy_headers": False}
    assert uvicorn_options(Settings(data_dir=tmp_path, forwarded_allow_ips="127.0.0.1, 10.1.2.3")) == {
        "proxy_headers": True, "forwarded_allow_ips": "127.0.0.1,10.1.2.3"}


def _live(build_app: Any, **settings: Any) -> Any:
    from assistant.server import uvicorn_options

    app = build_app(rate_ip_per_minute=1, rate_ip_burst=2, rate_sender_per_minute=0, **settings)
    return serve_in_thread(app, **uvicorn_options(app.state.settings))


def _say(url: str, client_ip: str, n: int) -> int:
    return httpx.post(f"{url}/model/parse", json={"text": f"你好{n}"}, headers={"X-Forwarded-For": client_ip},
                      timeout=30).status_code


def test_behind_the_configured_proxy_each_client_has_its_own_bucket(build_app: Any) -> None:
    live = _live(build_app, forwarded_allow_ips="127.0.0.1")
    try:
        assert [_say(live.url, "198.51.100.1", n) for n in range(3)] == [200, 200, 429]
        assert _say(live.url, "198.51.100.2", 9) == 200  # another visitor behind the same proxy
        r = httpx.post(f"{live.url}/webhook", json=submit_call("via-proxy"),
                       headers={"X-Forwarded-For": "127.0.0.1"}, timeout=30)  # a forged "local" client
        assert r.status_code == 403, r.text
    finally:
        live.stop()


def test_without_a_configured_proxy_a_forged_header_changes_nothing(build_app: Any) -> None:
    live = _live(build_app)
    try:
        codes = [_say(live.url, f"198.51.100.{n}", n) for n in range(3)]  # one client, three forged addresses
        assert codes == [200, 200, 429]
    finally:
        live.stop()
