"""Reader of Rasa NLU training YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.errors import TrainingDataError
from nlu.training_data import DEFAULT_NLU, load_training_data, strip_annotations

GOOD = """\
version: "3.1"
nlu:
- intent: start_lost_notice
  examples: |
    - 我的[食经证](license_type)丢了
    - [劳务派遣证](license_type:劳务派遣经营许可证)丢了，帮我登记
    - 帮我登记遗失公告

- intent: greet
  examples:
    - 你好
    - 在吗
- synonym: 食品经营许可证
  examples: |
    - 食经证
    - 食品证
- lookup: license_type
  examples: |
    - 食品经营许可证
    - 出版物经营许可证
- regex: filing_id
  examples: |
    - (LN|MV)\\d{11}
"""


def _write(tmp_path: Path, text: str, name: str = "nlu.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_every_block(tmp_path: Path) -> None:
    data = load_training_data(_write(tmp_path, GOOD))
    assert data.intents == ["start_lost_notice", "greet"]
    texts = [e.text for e in data.examples]
    assert texts == ["我的食经证丢了", "劳务派遣证丢了，帮我登记", "帮我登记遗失公告", "你好", "在吗"]
    assert data.examples[0].entities == (("license_type", "食经证"),)
    assert data.examples[1].entities == (("license_type", "劳务派遣经营许可证"),)
    assert data.examples[2].entities == ()
    assert data.synonyms == {"食经证": "食品经营许可证", "食品证": "食品经营许可证"}
    assert data.lookups == {"license_type": ("食品经营许可证", "出版物经营许可证")}
    assert data.regexes == {"filing_id": (r"(LN|MV)\d{11}",)}
    assert len(data.digest) == 16


def test_digest_follows_content(tmp_path: Path) -> None:
    a = load_training_data(_write(tmp_path, GOOD, "a.yml"))
    b = load_training_data(_write(tmp_path, GOOD, "b.yml"))
    c = load_training_data(_write(tmp_path, GOOD.replace("在吗", "在不在"), "c.yml"))
    assert a.digest == b.digest != c.digest


def test_several_files(tmp_path: Path) -> None:
    extra = _write(tmp_path, "nlu:\n- intent: thanks\n  examples: |\n    - 谢谢\n", "extra.yml")
    data = load_training_data(_write(tmp_path, GOOD), extra)
    assert data.intents[-1] == "thanks" and len(data.examples) == 6


@pytest.mark.parametrize(
    "line,text,ents",
    [
        ("丢了[食经证](license_type)", "丢了食经证", [("license_type", "食经证")]),
        ("[派遣证](license_type:劳务派遣经营许可证)", "派遣证", [("license_type", "劳务派遣经营许可证")]),
        ("没有标注", "没有标注", []),
        ("[LN20250601007](filing_id)进度 [13812345678](phone)", "LN20250601007进度 13812345678",
         [("filing_id", "LN20250601007"), ("phone", "13812345678")]),
    ],
)
def test_strip_annotations(line: str, text: str, ents: list[tuple[str, str]]) -> None:
    assert strip_annotations(line) == (text, ents)


def test_json_annotation_text_is_stripped() -> None:
    text, _ = strip_annotations('丢了[食经证]{"entity": "license_type", "value": "食品经营许可证"}')
    assert text == "丢了食经证"


def test_json_annotation_records_its_entity() -> None:
    _, ents = strip_annotations('丢了[食经证]{"entity": "license_type", "value": "食品经营许可证"}')
    assert ents == [("license_type", "食品经营许可证")]


@pytest.mark.parametrize(
    "text,match",
    [
        ("nlu:\n- intent: greet\n  examples: 42\n", "must be a block"),
        ("nlu:\n- intent: greet\n  examples: |\n    你好\n", "must start with '- '"),
        ("nlu:\n- intent: greet\n", "must be a block"),
        ("nlu:\n- just a string\n", "must be a mapping"),
        ("nlu:\n- response: utter_x\n  examples: |\n    - hi\n", "expected one of intent, synonym, lookup, regex"),
        ("nlu: [\n", "not valid YAML"),
        ("nlu: []\n", "no training examples"),
        ("", "no training examples"),
        ("nlu:\n- synonym: x\n  examples: |\n    - y\n", "no training examples"),
    ],
)
def test_bad_blocks(tmp_path: Path, text: str, match: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(TrainingDataError, match=match):
        load_training_data(path)


def test_errors_name_file_and_entry(tmp_path: Path) -> None:
    path = _write(tmp_path, "nlu:\n- intent: greet\n  examples: |\n    - 你好\n- intent: bye\n  examples: |\n    再见\n")
    with pytest.raises(TrainingDataError) as info:
        load_training_data(path)
    assert str(path) in str(info.value) and "nlu[1]" in str(info.value)


@pytest.mark.parametrize("text", ["- intent: greet\n", "just text\n"])
def test_top_level_not_a_mapping(tmp_path: Path, text: str) -> None:
    with pytest.raises(TrainingDataError):
        load_training_data(_write(tmp_path, text))


def test_bundled_nlu_data(intent_names: set[str]) -> None:
    data = load_training_data()
    assert data.digest == load_training_data(DEFAULT_NLU).digest
    assert set(data.intents) == intent_names
    counts = {i: sum(1 for e in data.examples if e.intent == i) for i in data.intents}
    thin = {i: n for i, n in counts.items() if n < 10}
    assert not thin, thin
    assert data.synonyms["食经证"] == "食品经营许可证"
    assert {"license_type", "validation_item"} <= set(data.lookups)
    for e in data.examples:
        assert "](" not in e.text and not e.text.startswith("- "), e
        assert e.text.strip(), e
