"""`lingling parse`: one JSON line per message, the same JSON as POST /model/parse."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import build_parser, main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_dir(ngram_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the session's ngram data folder, and LINGLING_ENCODER=ngram."""
    for k in list(os.environ):
        if k.startswith("LINGLING_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("LINGLING_ENCODER", "ngram")
    dst = tmp_path / "var"
    shutil.copytree(ngram_data_dir, dst)
    return dst


def _lines(out: str) -> list[dict]:  # type: ignore[type-arg]
    lines = out.splitlines()
    assert all(line.strip() for line in lines)
    return [json.loads(line) for line in lines]


def test_parse_prints_one_json_line(data_dir: Path, capsys: pytest.CaptureFixture[str], ngram_pipeline) -> None:  # type: ignore[no-untyped-def]
    text = "食品经营许可证丢了怎么补办"
    assert main(["--data-dir", str(data_dir), "parse", text]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    (body,) = _lines(out)
    assert body["text"] == text
    assert body["entities"][0]["value"] == "食品经营许可证"
    assert len(body["retrieval"]["ranking"]) >= 3
    assert body == ngram_pipeline.parse(text).to_wire()  # same as POST /model/parse
    assert "食品经营许可证" in out  # not \\u-escaped


def test_parse_without_text_is_a_usage_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(data_dir), "parse"]) == 2
    assert "--jsonl" in capsys.readouterr().err


def test_parse_jsonl(data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = "\n".join([
        json.dumps({"text": "你好"}, ensure_ascii=False),
        "我的食经证丢了",  # a plain line
        "",  # blank lines are skipped
        json.dumps({"text": "查一下LN20250601007", "intent": "check_status"}, ensure_ascii=False),
        '{"message": "没有 text 字段"}',  # JSON without `text`: the line itself is the text
        "{broken json",
        '"一个 JSON 字符串"',
    ]) + "\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(["--data-dir", str(data_dir), "parse", "--jsonl"]) == 0
    bodies = _lines(capsys.readouterr().out)
    assert [b["text"] for b in bodies] == [
        "你好", "我的食经证丢了", "查一下LN20250601007", '{"message": "没有 text 字段"}', "{broken json", "一个 JSON 字符串",
    ]
    assert bodies[0]["intent"]["name"] == "greet"
    assert ("license_type", "食品经营许可证") in {(e["entity"], e["value"]) for e in bodies[1]["entities"]}
    assert ("filing_id", "LN20250601007") in {(e["entity"], e["value"]) for e in bodies[2]["entities"]}
    for b in bodies:
        assert set(b) == {"text", "intent", "intent_ranking", "entities", "retrieval"}


def test_parse_jsonl_empty_input(data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n\n"))
    assert main(["--data-dir", str(data_dir), "parse", "--jsonl"]) == 0
    assert capsys.readouterr().out == ""


def test_parse_builds_a_missing_index(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(os.environ):
        if k.startswith("LINGLING_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("LINGLING_ENCODER", "ngram")
    fresh = tmp_path / "fresh"
    assert main(["--data-dir", str(fresh), "parse", "你好"]) == 0
    assert _lines(capsys.readouterr().out)[0]["intent"]["name"] == "greet"
    assert (fresh / "index" / "manifest.json").exists() and (fresh / "index" / "vectors.faiss").exists()


def test_parser_knows_every_documented_command() -> None:
    p = build_parser()
    for argv in (["serve"], ["parse", "x"], ["parse", "--jsonl"], ["eval", "f.jsonl"], ["kb", "validate"], ["kb", "stats"],
                 ["kb", "export"], ["index", "build"]):
        assert p.parse_args(argv).func
    with pytest.raises(SystemExit):
        p.parse_args(["no-such-command"])


@pytest.mark.slow
def test_parse_as_a_subprocess(data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINGLING_")} | {"LINGLING_ENCODER": "ngram"}
    one = subprocess.run([sys.executable, "-m", "assistant.cli", "--data-dir", str(data_dir), "parse", "营业执照丢了"],
                         capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert one.returncode == 0, one.stderr
    (body,) = _lines(one.stdout)
    assert body["text"] == "营业执照丢了"
    many = subprocess.run([sys.executable, "-m", "assistant.cli", "--data-dir", str(data_dir), "parse", "--jsonl"],
                          input='{"text": "你好"}\n食经证丢了\n', capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert many.returncode == 0, many.stderr
    assert [b["text"] for b in _lines(many.stdout)] == ["你好", "食经证丢了"]


def test_parse_with_a_focus(data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`--focus SERVICE_ID` (or a FAQ id) as POST /model/parse's `focus`; a JSON line may carry its own."""
    assert main(["--data-dir", str(data_dir), "parse", "要多久", "--focus", "food-business-license/fees"]) == 0
    (body,) = _lines(capsys.readouterr().out)
    assert body["retrieval"]["focus"]["service_id"] == "food-business-license"
    assert body["retrieval"]["focus"]["faq_id"] == "food-business-license/fees"
    stdin = "\n".join([
        json.dumps({"text": "要多久"}, ensure_ascii=False),
        json.dumps({"text": "要多久", "focus": {"service_id": "labor-dispatch-license"}}, ensure_ascii=False),
        json.dumps({"text": "要多久", "focus": None}, ensure_ascii=False),
    ]) + "\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(["--data-dir", str(data_dir), "parse", "--jsonl", "--focus", "publication-business-license"]) == 0
    bodies = _lines(capsys.readouterr().out)
    assert bodies[0]["retrieval"]["focus"]["service_id"] == "publication-business-license"
    assert bodies[1]["retrieval"]["focus"]["service_id"] == "labor-dispatch-license"
    assert "focus" not in bodies[2]["retrieval"]
