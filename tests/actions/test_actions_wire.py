"""The action server speaks Rasa SDK's protocol: replay the requests a Rasa 3.6 server sent (action_wire.jsonl)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

WIRE = Path(__file__).resolve().parents[1] / "contract" / "rasa_protocol" / "action_wire.jsonl"
RECORDS = [json.loads(line) for line in WIRE.read_text(encoding="utf-8").splitlines() if line.strip()]
OUR_ACTIONS = {
    "validate_lost_notice_form", "action_submit_lost_notice", "action_query_office_hours",
    "validate_medical_validation_form", "action_submit_medical_validation", "action_check_status",
    "action_search_notice", "action_answer_faq", "action_human_handoff",
}


@pytest.fixture
def web_client(make_client: Callable[..., TestClient]) -> TestClient:
    """The whole web app (action server mounted)."""
    return make_client()


@pytest.fixture
def standalone_client(tmp_path: Path, demo_kb: Any) -> Iterator[TestClient]:
    """`lingling actions`' app: only the action server and /health."""
    from actions.serve import create_action_app
    from assistant.settings import Settings

    app = create_action_app(Settings(data_dir=tmp_path, env="test"), kb=demo_kb)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:  # the Rasa server on this machine
        yield client


def _shape_ok(recorded: Any, got: Any) -> None:
    if isinstance(recorded, dict) and "events" in recorded:
        assert set(got) == {"events", "responses"}
        assert isinstance(got["events"], list) and isinstance(got["responses"], list)
        assert all(isinstance(e, dict) and e.get("event") for e in got["events"])
        assert all(isinstance(r, dict) for r in got["responses"])
        assert [e["event"] for e in got["events"]] == [e["event"] for e in recorded["events"]]
        assert bool(got["responses"]) == bool(recorded["responses"])
        for rec, ours in zip(recorded["responses"], got["responses"], strict=False):
            assert set(rec) <= set(ours), f"response keys {set(ours)} lack {set(rec) - set(ours)}"
    else:
        assert got == recorded


@pytest.mark.parametrize("client_name", ["web_client", "standalone_client"])
@pytest.mark.parametrize("record", RECORDS, ids=[f"line{i + 1}-{r['request']['next_action']}" for i, r in enumerate(RECORDS)])
def test_replay(record: dict[str, Any], client_name: str, request: pytest.FixtureRequest) -> None:
    client: TestClient = request.getfixturevalue(client_name)
    resp = client.post(record["path"], json=record["request"])
    assert resp.status_code == record["status"], resp.text
    _shape_ok(record["response"], resp.json())


@pytest.mark.parametrize("client_name", ["web_client", "standalone_client"])
def test_line4_rejects_the_license_number(client_name: str, request: pytest.FixtureRequest) -> None:
    client: TestClient = request.getfixturevalue(client_name)
    body = client.post("/webhook", json=RECORDS[3]["request"]).json()
    assert body["events"] == [{"event": "slot", "timestamp": None, "name": "license_number", "value": None}]
    assert len(body["responses"]) == 1 and "编号" in body["responses"][0]["text"]


def test_unknown_action_is_404_exactly(standalone_client: TestClient) -> None:
    resp = standalone_client.post("/webhook", json=RECORDS[7]["request"])
    assert resp.status_code == 404
    assert resp.json() == {"error": "No registered action found for name 'action_does_not_exist'.",
                           "action_name": "action_does_not_exist"}


def test_office_hours_come_from_the_knowledge_base(standalone_client: TestClient, demo_kb: Any) -> None:
    body = standalone_client.post("/webhook", json=RECORDS[6]["request"]).json()
    hall = demo_kb.items["service-hall"]
    (msg,) = body["responses"]
    # The demo hall's hours, address and phone are still marked `example`: never told as true (issue 16).
    assert {"hours", "where", "phone"} <= {g for g, s in hall.sources.items() if s.kind.value == "example"}
    assert hall.hours not in msg["text"] and hall.where.address not in msg["text"]
    assert "正在核实" in msg["text"] and "12345" in msg["text"]
    assert msg["custom"] == {"type": "office_hours", "hours": None, "address": None, "phone": None,
                             "pending": [{"group": "hours", "label": "办公时间"}, {"group": "where", "label": "办理地点"},
                                         {"group": "phone", "label": "咨询电话"}]}


def test_office_hours_told_when_confirmed(tmp_path: Path, demo_kb: Any) -> None:
    """With real (seed) hours and address, the reply states them."""
    from actions.serve import create_action_app
    from assistant.settings import Settings
    from knowledge.loader import KnowledgeBase
    from knowledge.models import Source, SourceKind

    hall = demo_kb.items["service-hall"]
    real = hall.model_copy(update={"sources": {**hall.sources, "hours": Source(kind=SourceKind.SEED),
                                               "where": Source(kind=SourceKind.SEED)}})
    app = create_action_app(Settings(data_dir=tmp_path, env="test"), kb=KnowledgeBase(items={**demo_kb.items, hall.id: real}))
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        (msg,) = client.post("/webhook", json=RECORDS[6]["request"]).json()["responses"]
    assert hall.hours in msg["text"] and hall.where.address in msg["text"] and "正在核实" not in msg["text"]
    assert msg["custom"]["hours"] == hall.hours and msg["custom"]["pending"] == [{"group": "phone", "label": "咨询电话"}]


@pytest.mark.parametrize("client_name", ["web_client", "standalone_client"])
def test_actions_and_health(client_name: str, request: pytest.FixtureRequest) -> None:
    client: TestClient = request.getfixturevalue(client_name)
    names = {a["name"] for a in client.get("/actions").json()}
    assert OUR_ACTIONS <= names
    assert client.get("/health").status_code == 200


def test_bad_bodies(standalone_client: TestClient) -> None:
    assert standalone_client.post("/webhook", content=b"not json").status_code == 400
    assert standalone_client.post("/webhook", json=[1, 2]).status_code == 400


def test_cli_registers_actions_command() -> None:
    from assistant.cli import build_parser

    args = build_parser().parse_args(["actions", "--port", "5056"])
    assert (args.host, args.port) == ("127.0.0.1", 5056)
    assert args.func.__module__ == "actions.serve"
