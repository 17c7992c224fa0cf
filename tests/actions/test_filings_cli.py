"""`lingling filings ...`, `lingling reminders` and `lingling db upgrade`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from actions.filings import FilingStore, LostNoticeData, ValidationData
from assistant.cli import main


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def seeded(data_dir: Path) -> tuple[str, str]:
    assert main(["--data-dir", str(data_dir), "db", "upgrade"]) == 0
    store = FilingStore(f"sqlite:///{(data_dir / 'lingling.db').resolve()}")
    try:
        n = store.submit_lost_notice(LostNoticeData(
            company_name="海味餐饮有限公司", uscc="91370211MA3C4X5Y6Z", license_type="食品经营许可证",
            license_number="JY1", lost_date=date(2026, 11, 2), circumstances="遗失", contact_name="张",
            contact_phone="13812345678"), "n")
        v = store.submit_validation(ValidationData(
            institution_name="康宁诊所", registration_number="REG-1", items=["执业校验"],
            license_valid_until=date(2030, 1, 1),
            contact_name="李", contact_phone="13900001111"), "v")
        return n.filing_id, v.filing_id
    finally:
        store.close()


def run(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), *args])


def test_notice_commands(data_dir: Path, seeded: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    notice, _ = seeded
    assert run(data_dir, "filings", "list") == 0
    assert notice in capsys.readouterr().out
    assert run(data_dir, "filings", "approve", notice, "--actor", "王科长") == 0
    assert run(data_dir, "filings", "publish", notice, "--json") == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    view = json.loads(out)
    assert view["status"] == "published" and view["notice_number"].startswith("XHA-YS-")
    assert [h["actor"] for h in view["history"]] == ["applicant", "王科长", "cli"]
    assert run(data_dir, "filings", "reject", notice, "--reason", "材料不全") == 1
    err = capsys.readouterr().err
    assert "不能" in err and "invalid_transition" in err
    assert run(data_dir, "filings", "reissue", notice) == 0
    assert run(data_dir, "filings", "show", notice) == 0
    assert "published -> reissued" in capsys.readouterr().out
    assert run(data_dir, "filings", "show", "LN20991231001") == 1


def test_validation_commands(data_dir: Path, seeded: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, validation = seeded
    assert run(data_dir, "filings", "finish", validation) == 1
    assert "尚未作出结论" in capsys.readouterr().err
    assert run(data_dir, "filings", "item", validation, "执业校验", "--decision", "review") == 0
    assert run(data_dir, "filings", "item", validation, "执业校验", "--decision", "passed", "--note", "合格") == 0
    assert run(data_dir, "filings", "finish", validation, "--json") == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["status"] == "passed"
    with pytest.raises(SystemExit):
        run(data_dir, "filings", "item", validation, "执业校验", "--decision", "approve")


def test_reminders_command_records_once(data_dir: Path, seeded: tuple[str, str],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "reminders", "--today", "2029-11-15") == 0
    out = capsys.readouterr()
    assert "REG-1" in out.out and "1 new reminder" in out.err
    assert run(data_dir, "reminders", "--today", "2029-11-15") == 0
    out = capsys.readouterr()
    assert "REG-1" not in out.out and "already ran today" in out.err
    assert run(data_dir, "reminders", "--today", "2029-11-16") == 0  # the next day: recorded already, nothing new
    out = capsys.readouterr()
    assert "REG-1" not in out.out and "0 new reminder" in out.err
    assert run(data_dir, "reminders", "--today", "2029-01-01", "--dry-run") == 0
    assert capsys.readouterr().out == ""


def test_reject_naming_fields_and_pass_all(data_dir: Path, seeded: tuple[str, str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    notice, validation = seeded
    assert run(data_dir, "filings", "reject", notice, "--reason", "代码不一致", "--fix", "uscc", "--json") == 0
    view = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (view["status"], view["reason"], view["fix_fields"]) == ("rejected", "代码不一致", ["uscc"])
    assert run(data_dir, "filings", "pass-all", validation, "--json") == 0
    view = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert view["status"] == "passed" and view["items"] == {"执业校验": "passed"}
