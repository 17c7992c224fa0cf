"""SQL and HTML in any field are stored verbatim and never executed or rendered: a filing whose company name is
an SQL injection or a script tag is kept exactly as typed, the tables survive, and the public notice board and the
staff console show it escaped."""

from __future__ import annotations

import html
from typing import Any

import pytest
from markupsafe import escape

from tests.security.flows import cheap_hashing, file_lost_notice, login, staff_user

SQL = "'); DROP TABLE filings;--"
SCRIPT = '<script>alert("灵灵")</script>'
IMG = "<img src=x onerror=alert(1)>遗失在办公室"


@pytest.mark.parametrize("company", [SQL, SCRIPT], ids=["sql", "script"])
def test_hostile_company_name_is_stored_verbatim_and_shown_escaped(make_client: Any, monkeypatch: Any, company: str) -> None:
    cheap_hashing(monkeypatch)
    client = make_client(rate_limit=False)
    receipt = file_lost_notice(client, "inject-1", company=company, circumstances=IMG)
    store = client.app.state.services.filings
    filing = store.get(receipt["filing_id"])
    assert filing.data["company_name"] == company
    assert filing.data["circumstances"] == IMG
    assert store.list_filings()  # the filings table is still there

    # Published, the notice is public: the board, the notice page and the JSON carry the name, escaped in HTML.
    store.approve(filing.filing_id, "reviewer")
    store.publish(filing.filing_id, "reviewer")
    board = client.get("/notices")
    assert board.status_code == 200
    _escaped(board.text, company)
    data = client.get("/notices", params={"format": "json"}).json()
    assert company in str(data)
    (notice,), _ = store.search_notices()
    assert notice.company_name == company
    page = client.get(f"/notices/{notice.number}")
    assert page.status_code == 200
    _escaped(page.text, company)

    # The staff console shows the filing escaped too.
    staff_user(client, "reviewer")
    login(client, "reviewer")
    admin = client.get(f"/admin/filings/{filing.filing_id}")
    assert admin.status_code == 200
    _escaped(admin.text, company)
    _escaped(admin.text, IMG)


def _escaped(page: str, value: str) -> None:
    """The value is in the page as escaped text (Jinja escapes quotes too), never as raw markup."""
    if "<" in value:
        assert value not in page, "raw markup in the page"
    assert str(escape(value)) in page or html.escape(value) in page
