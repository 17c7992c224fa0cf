"""`lingling kb validate` and `lingling kb stats`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main
from knowledge.errors import KnowledgeError
from knowledge.stats import kb_stats
from tests.knowledge.test_schema import CASES, FIELD_NOT_NAMED, FIXTURES

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_lingling_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands read LINGLING_* variables: a developer's own settings must not leak in."""
    for k in list(os.environ):
        if k.startswith("LINGLING_"):
            monkeypatch.delenv(k)


@pytest.fixture
def broken_dir(tmp_path: Path) -> Path:
    """Every single-problem fixture in one folder, with one valid item."""
    folder = tmp_path / "broken"
    folder.mkdir()
    for case in CASES:
        for f in (FIXTURES / case).iterdir():
            shutil.copy(f, folder / f.name)
    shutil.copy(FIXTURES / "valid" / "valid-item.yml", folder)
    return folder


def test_validate_demo_exits_zero(capsys: pytest.CaptureFixture[str], demo_kb) -> None:
    assert main(["kb", "validate"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith(f"ok: {len(demo_kb.items)} services, {len(demo_kb.faqs)} faqs")
    assert out.err == ""


def test_validate_broken_folder_prints_every_problem(capsys: pytest.CaptureFixture[str], broken_dir: Path) -> None:
    assert main(["kb", "validate", "--dir", str(broken_dir)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == f"{len(CASES)} problem(s) found"
    text = "\n".join(err)
    for case, (fname, field, _message, _fix) in CASES.items():
        expect = f"{fname}: " if case in FIELD_NOT_NAMED else f"{fname}: {field}"  # see the xfail in test_schema
        assert expect in text, f"{case}: {fname} not reported with its field"
    assert text.count(" — fix: ") == len(CASES)
    assert "valid-item.yml" not in text
    assert "rename to right-name.yml" in text and "add this field" in text


def test_validate_accepts_the_global_knowledge_dir(capsys: pytest.CaptureFixture[str], broken_dir: Path) -> None:
    assert main(["--knowledge-dir", str(broken_dir), "kb", "validate"]) == 1
    assert "problem(s) found" in capsys.readouterr().err
    assert main(["--knowledge-dir", str(FIXTURES / "valid"), "kb", "validate"]) == 0
    assert capsys.readouterr().out.startswith("ok: 1 services, 1 faqs")


def test_validate_reports_skipped_items(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tests.factories import service_dict, write_item

    write_item(tmp_path, service_dict("old-item", effective_from="2019-01-01", effective_until="2020-01-01"))
    write_item(tmp_path, service_dict("new-item"))
    assert main(["kb", "validate", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == "ok: 1 services, 1 faqs, 52 referral matters, skipped ['old-item']"


def test_validate_missing_folder_exits_nonzero(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    try:
        code = main(["kb", "validate", "--dir", str(tmp_path / "missing")])
    except KnowledgeError:
        code = None
    assert code == 1
    assert "does not exist" in capsys.readouterr().err


def test_stats_prints_counts(capsys: pytest.CaptureFixture[str], demo_kb) -> None:
    assert main(["kb", "stats"]) == 0
    out = capsys.readouterr().out.splitlines()
    st = kb_stats(demo_kb)
    assert out[:3] == [f"services: {st.services}", f"faqs: {st.faqs}", f"variants: {st.variants}"]
    assert out[3] == f"marked example: {st.example_groups}/{st.fact_groups} fact groups, {st.example_faqs}/{st.faqs} faqs"
    assert "per service (faqs, variants):" in out
    f, v = st.per_service["license-loss-notice"]
    assert f"  license-loss-notice: {f}, {v}" in out
    # What still needs real content: every item with example groups or FAQs, and which.
    at = out.index("needs real content (marked example; citizens are told it is being confirmed):")
    listed = [line for line in out[at + 1:] if line.startswith("  ")]
    assert len(listed) == len(st.pending) and st.pending
    hall = next(line for line in listed if line.startswith("  service-hall:"))
    assert "where" in hall and "phone" in hall and "hours" in hall
    assert sum(len(p.faqs) for p in st.pending) == st.example_faqs
    assert sum(len(p.groups) for p in st.pending) == st.example_groups


def test_stats_of_another_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--knowledge-dir", str(FIXTURES / "valid"), "kb", "stats"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["services: 1", "faqs: 1", "variants: 5"]


def test_stats_of_broken_folder_exits_nonzero(capsys: pytest.CaptureFixture[str], broken_dir: Path) -> None:
    try:
        code = main(["--knowledge-dir", str(broken_dir), "kb", "stats"])
    except KnowledgeError:
        code = None
    assert code == 1
    assert "problem" in capsys.readouterr().err


def test_export_to_file(tmp_path: Path, demo_kb) -> None:
    out = tmp_path / "kb.yml"
    assert main(["kb", "export", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").count("\n---") + 1 == len(demo_kb.items)


@pytest.mark.slow
def test_validate_as_a_subprocess(broken_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINGLING_")}
    ok = subprocess.run([sys.executable, "-m", "assistant.cli", "kb", "validate"], capture_output=True, text=True,
                        cwd=REPO, env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok: ")
    bad = subprocess.run([sys.executable, "-m", "assistant.cli", "kb", "validate", "--dir", str(broken_dir)],
                         capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert bad.returncode == 1
    assert f"{len(CASES)} problem(s) found" in bad.stderr
    for fname, *_ in CASES.values():
        assert fname in bad.stderr
