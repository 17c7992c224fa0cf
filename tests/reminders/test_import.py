"""Importing the district's institution list: a good file (CSV and xlsx), bad rows reported row by row in the
preview, nothing changed before commit, re-import updating by 登记号, no personal data in the logs."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from actions.filings import FilingStore
from actions.filings.errors import RegistryError
from actions.filings.institutions import InstitutionRegistry
from tests.reminders.conftest import ROWS, roster
from tests.reminders.roster import roster_csv, roster_xlsx


def as_dicts(rows: list[tuple[str, str, str, str, str]]) -> list[dict[str, object]]:
    return [{"机构名称": n, "登记号": r, "有效期至": d, "联系人": "王丽", "联系电话": p, "电子邮箱": e} for n, r, d, p, e in rows]


def test_a_good_xlsx_is_previewed_then_committed(store: FilingStore, caplog: pytest.LogCaptureFixture) -> None:
    registry = InstitutionRegistry(store)
    rows = as_dicts(ROWS)
    rows[0]["有效期至"] = dt.datetime(2026, 12, 31)  # a date cell, as Excel stores it
    caplog.set_level(logging.INFO)
    preview = registry.preview_import("名单.xlsx", roster_xlsx(rows, title_rows=1), "staff")
    assert preview.status == "preview" and preview.errors == [] and preview.count("new") == 3
    assert registry.count() == 0  # a preview changes nothing
    done = registry.commit_import(preview.id, "staff")
    assert done.status == "committed" and done.summary["new"] == 3 and registry.count() == 3
    kangning = registry.get("pdy00000137021117d2152")
    assert kangning is not None and kangning.license_valid_until == dt.date(2026, 12, 31)
    assert kangning.email == "kangning@example.com"
    with pytest.raises(RegistryError):
        registry.commit_import(preview.id, "staff")  # once
    assert "13800001234" not in caplog.text and "王丽" not in caplog.text


def test_bad_rows_are_named_and_the_good_ones_kept(store: FilingStore) -> None:
    registry = InstitutionRegistry(store)
    rows = as_dicts(ROWS) + as_dicts([
        ("坏日期诊所", "PDY00000437021117D2152", "明年三月", "13800000004", ""),
        ("坏登记号诊所", "12", "2027-01-01", "13800000005", ""),
        ("坏电话诊所", "PDY00000637021117D2152", "2027-01-01", "12345", ""),
        ("重复诊所", "PDY00000137021117D2152", "2027-01-01", "13800000007", ""),
        ("", "PDY00000837021117D2152", "2027-01-01", "13800000008", "not-an-email"),
    ])
    preview = registry.preview_import("list.csv", roster_csv(rows), "staff")
    assert preview.count("new") == 3
    by_row = {(e["row"], e["field"]) for e in preview.errors}
    assert by_row == {(5, "license_valid_until"), (6, "registration_number"), (7, "contact_phone"),
                      (8, "registration_number"), (9, "name"), (9, "email")}
    messages = " ".join(e["message"] for e in preview.errors)
    assert "日期无法识别" in messages and "与第 2 行重复" in messages and "不能为空" in messages
    registry.commit_import(preview.id, "staff")
    assert registry.count() == 3


def test_unusable_files_say_why(store: FilingStore) -> None:
    registry = InstitutionRegistry(store)
    with pytest.raises(RegistryError) as no_header:
        registry.preview_import("x.csv", "名称,日期\n甲,2026-01-01\n".encode(), "staff")
    assert "登记号" in no_header.value.message
    with pytest.raises(RegistryError) as missing:
        registry.preview_import("x.csv", "登记号,机构名称\nPDY00000137021117D2152,康宁诊所\n".encode(), "staff")
    assert "有效期" in missing.value.message


def test_re_import_updates_by_registration_number(store: FilingStore, registry: InstitutionRegistry) -> None:
    changed = [("康宁诊所", ROWS[0][1], "2027-12-31", "13800009999", ""),  # validated: a new date and phone
               ROWS[1], ("新开诊所", "PDY00000937021117D2152", "2027-03-01", "13800000009", "")]
    preview = registry.preview_import("second.csv", roster(changed), "staff")
    assert [(r.values["registration_number"], r.change) for r in preview.rows] == [
        (ROWS[0][1], "updated"), (ROWS[1][1], "unchanged"), ("PDY00000937021117D2152", "new")]
    assert set(preview.rows[0].changed) == {"license_valid_until", "contact_phone"}
    registry.commit_import(preview.id, "staff")
    kangning = registry.get(ROWS[0][1])
    assert kangning is not None and kangning.license_valid_until == dt.date(2027, 12, 31)
    assert kangning.contact_phone == "13800009999"
    assert kangning.email == "kangning@example.com"  # an empty optional column keeps what was there
    assert registry.count() == 4  # 海青卫生室 not in the second list stays
