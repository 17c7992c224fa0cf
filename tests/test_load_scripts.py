"""The load benchmark's filing scripts (benchmarks/load.py) still complete a filing: when the form gained the
正本/副本 question, `make load` stopped at seeding and no test noticed."""

from __future__ import annotations

import random
from typing import Any

from benchmarks.load import filing_script, payload_filing, phone_of, receipt


def _say(client: Any, sender: str, text: str) -> Any:
    r = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert r.status_code == 200, r.text
    return r.json()


def test_the_typed_filing_script_ends_with_a_receipt(make_client: Any) -> None:
    client = make_client()
    for seed in (1, 2):
        script = filing_script(random.Random(seed))
        body: Any = None
        for text in script:
            body = _say(client, f"load-typed-{seed}", text)
        assert receipt(body), (script, body)


def test_the_payload_filing_ends_with_a_receipt(make_client: Any) -> None:
    client = make_client()
    _say(client, "load-payload", payload_filing("青岛明远海川餐饮有限公司"))
    body = _say(client, "load-payload", "确认提交")
    assert receipt(body), body


def test_the_status_flow_of_a_typed_filing_answers_with_its_receipt(make_client: Any) -> None:
    # The load's status query types the filing id and the last 4 digits of the phone its script typed.
    client = make_client()
    script = filing_script(random.Random(3))
    body: Any = None
    for text in script:
        body = _say(client, "load-typed-status", text)
    filing = receipt(body)
    assert filing
    _say(client, "load-status", "查进度")
    body = _say(client, "load-status", f"{filing}，手机尾号{phone_of(script)[-4:]}")
    assert receipt(body) == filing, body
