"""The public board of validation results (一网公示): a concluded validation appears in HTML and JSON as the
contract says, is searchable by name or 登记号, shows no personal data, keeps corrections visible and verifiable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from actions.filings import FilingStore, ValidationData

Client = Any
CONTRACT_KEYS = {"institution_name", "registration_number", "items", "result", "concluded_on"}


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client()


def conclude(client: Client, name: str, reg: str, outcomes: dict[str, str], key: str) -> str:
    """Submit, review and conclude a validation with these item outcomes; its filing id."""
    store: FilingStore = client.app.state.services.filings
    data = ValidationData(institution_name=name, registration_number=reg, items=list(outcomes),
                          license_valid_until=date(2027, 1, 31), contact_name="李康", contact_phone="13912345678")
    fid = store.submit_validation(data, key).filing_id
    for item, outcome in outcomes.items():
        store.decide_item(fid, item, "review", "staff")
        store.decide_item(fid, item, outcome, "staff")
    store.finish_validation(fid, "staff")
    return fid


def test_a_concluded_validation_is_published(client: Client) -> None:
    empty = client.get("/validation-results", params={"format": "json"})
    assert empty.status_code == 200, empty.text
    assert empty.json()["items"] == []
    conclude(client, "黄岛区康宁诊所", "PDY12345637021117D2152",
             {"医疗机构执业许可证校验": "passed", "放射诊疗许可证校验": "not_passed"}, "a")
    conclude(client, "西海岸仁和口腔门诊部", "PDY22222237021117D2152", {"医疗机构执业许可证校验": "passed"}, "b")
    data = client.get("/validation-results", params={"format": "json"}).json()
    assert data["total"] == 2
    first = next(i for i in data["items"] if i["institution_name"] == "黄岛区康宁诊所")
    assert CONTRACT_KEYS <= set(first)
    assert first["registration_number"] == "PDY12345637021117D2152" and first["result"] == "not_passed"
    assert first["items"] == [{"name": "医疗机构执业许可证校验", "outcome": "passed"},
                              {"name": "放射诊疗许可证校验", "outcome": "not_passed"}]
    assert date.fromisoformat(first["concluded_on"])
    raw = client.get("/validation-results", params={"format": "json"}).text
    assert "李康" not in raw and "13912345678" not in raw and "5678" not in raw  # never personal data
    by_reg = client.get("/validation-results", params={"format": "json", "q": "pdy222222"}).json()
    assert [i["institution_name"] for i in by_reg["items"]] == ["西海岸仁和口腔门诊部"]
    by_name = client.get("/validation-results", params={"q": "康宁"})
    assert by_name.status_code == 200, by_name.text
    assert "黄岛区康宁诊所" in by_name.text and "仁和口腔" not in by_name.text and "校验未通过" in by_name.text
    assert "李康" not in by_name.text
    first_page = client.get("/validation-results", params={"per_page": 1})  # the shared pager (templates/_pager.html)
    assert first_page.status_code == 200, first_page.text
    assert 'rel="next" href="/validation-results?per_page=1&amp;page=2"' in first_page.text and 'rel="prev"' not in first_page.text
    second = client.get("/validation-results", params={"per_page": 1, "page": 2})
    assert 'rel="prev" href="/validation-results?per_page=1&amp;page=1"' in second.text and 'rel="next"' not in second.text


def test_a_result_page_with_its_correction_and_code(client: Client) -> None:
    fid = conclude(client, "黄岛区康宁诊所", "PDY12345637021117D2152", {"医疗机构执业许可证校验": "not_passed"}, "a")
    board = client.app.state.services.results
    number = board.of_filing(fid).number
    page = client.get(f"/validation-results/{number}")
    assert page.status_code == 200, page.text
    assert "校验未通过" in page.text and "<h2>更正记录</h2>" not in page.text
    code = page.text.split('class="code">')[1].split("<")[0]
    ok = client.get(f"/validation-results/{number}/verify", params={"code": code.lower()}).json()
    assert ok["valid"] and ok["current"]
    forged = client.get(f"/validation-results/{number}/verify", params={"code": "AAAA-AAAA-AAAA-AAAA"}).json()
    assert not forged["valid"]
    board.correct(number, "staff", "复核后确认已整改到位", outcomes={"医疗机构执业许可证校验": "passed"})
    page = client.get(f"/validation-results/{number}")
    assert "<h2>更正记录</h2>" in page.text and "复核后确认已整改到位" in page.text and "校验通过" in page.text
    old = client.get(f"/validation-results/{number}/verify", params={"code": code}).json()
    assert old["valid"] and not old["current"] and "更正前" in old["message"]
    listed = client.get("/validation-results", params={"format": "json"}).json()["items"][0]
    assert listed["result"] == "passed" and listed["revision"] == 1
    assert listed["corrections"][0]["before"]["result"] == "not_passed"
    assert "staff" not in str(listed["corrections"])  # who corrected is for staff only
    missing = client.get("/validation-results/XHA-JY-2099-0001")
    assert missing.status_code == 404 and "未找到校验结果" in missing.text


def test_bad_queries_get_clear_answers(client: Client) -> None:
    r = client.get("/validation-results", params={"page": 0})
    assert r.status_code == 422, r.text
    r = client.get("/validation-results", params={"q": "<script>x</script>"})
    assert r.status_code == 200, r.text
    assert "<script>x" not in r.text
