"""Intent classifier on a tiny data set, and Rasa's payload syntax."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlu.classifier import MODEL_VERSION, IntentClassifier, parse_payload
from nlu.embeddings import NgramEncoder
from nlu.normalize import fold

TINY = {
    "greet": ["你好", "您好", "在吗", "早上好", "hi", "哈喽"],
    "goodbye": ["再见", "拜拜", "没事了再见", "下次见", "bye", "回头见"],
    "ask_service": ["营业执照丢了怎么补办", "食品经营许可证怎么办理", "需要带什么材料", "办理要多久", "在哪个窗口办",
                    "收费吗"],
}


@pytest.fixture(scope="module")
def tiny() -> IntentClassifier:
    enc = NgramEncoder(dim=64)
    texts = [fold(t) for ts in TINY.values() for t in ts]
    labels = [k for k, ts in TINY.items() for _ in ts]
    return IntentClassifier.train(texts, labels, enc.encode_docs(texts))


def _predict(clf: IntentClassifier, text: str) -> list[tuple[str, float]]:
    t = fold(text)
    return [(s.name, s.confidence) for s in clf.predict(t, NgramEncoder(dim=64).encode_queries([t])[0])]


@pytest.mark.parametrize(
    "text,intent", [("你好呀", "greet"), ("拜拜了", "goodbye"), ("许可证丢了怎么补办", "ask_service"), ("办理需要什么材料", "ask_service")]
)
def test_tiny_classifier_predicts(tiny: IntentClassifier, text: str, intent: str) -> None:
    ranking = _predict(tiny, text)
    assert ranking[0][0] == intent, ranking
    assert {n for n, _ in ranking} == set(TINY)
    assert sum(c for _, c in ranking) == pytest.approx(1.0, abs=1e-6)
    assert [c for _, c in ranking] == sorted((c for _, c in ranking), reverse=True)


def test_save_and_load_round_trip(tiny: IntentClassifier, tmp_path: Path) -> None:
    path = tmp_path / "models" / "intent.pkl"
    tiny.save(path)
    again = IntentClassifier.load(path)
    assert again is not None and again.labels == tiny.labels
    assert _predict(again, "早上好呀") == _predict(tiny, "早上好呀")


def test_load_garbage_or_other_version_is_none(tiny: IntentClassifier, tmp_path: Path) -> None:
    import pickle

    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a pickle")
    assert IntentClassifier.load(bad) is None
    assert IntentClassifier.load(tmp_path / "missing.pkl") is None
    old = tmp_path / "old.pkl"  # version 3 pickled scikit-learn objects
    old.write_bytes(pickle.dumps((MODEL_VERSION - 1, {"vectorizer": None}, None, tiny.dense_scale)))
    assert IntentClassifier.load(old) is None
    other = tmp_path / "other.pkl"
    tiny.save(other)
    import nlu.classifier

    try:
        nlu.classifier.MODEL_VERSION += 1
        assert IntentClassifier.load(other) is None
    finally:
        nlu.classifier.MODEL_VERSION -= 1


# ---- payloads -------------------------------------------------------------------------------


def test_payload_with_entities() -> None:
    text = '/start_lost_notice{"license_type": "食品经营许可证"}'
    p = parse_payload(text)
    assert p is not None
    assert p.intent == "start_lost_notice"
    assert p.entities == {"license_type": "食品经营许可证"}
    assert text[p.entities_span[0] : p.entities_span[1]] == '{"license_type": "食品经营许可证"}'


@pytest.mark.parametrize("text,intent", [("/greet", "greet"), ("  /affirm  ", "affirm"), ("/inform{}", "inform")])
def test_payload_without_entities(text: str, intent: str) -> None:
    p = parse_payload(text)
    assert p is not None and p.intent == intent and p.entities == {}


@pytest.mark.parametrize(
    "text",
    ["你好", "/", "/etc/passwd", "/start{not json}", '/start["a"]', "a/greet", "/1abc", '/start{"a": 1} trailing', ""],
)
def test_not_a_payload(text: str) -> None:
    assert parse_payload(text) is None


def test_vectors_matter(tiny: IntentClassifier) -> None:
    """The dense part is used: a zero vector changes the probabilities."""
    t = fold("你好")
    with_vec = tiny.predict(t, NgramEncoder(dim=64).encode_queries([t])[0])
    without = tiny.predict(t, np.zeros(64, np.float32))
    assert with_vec[0].confidence != pytest.approx(without[0].confidence, abs=1e-6)
