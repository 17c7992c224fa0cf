"""The numpy scorer reproduces scikit-learn's tf-idf + logistic regression, and serving never imports sklearn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nlu.classifier import IntentClassifier, fit_sklearn
from nlu.embeddings import NgramEncoder
from nlu.normalize import fold

TRAIN = {
    "greet": ["你好", "您好", "在吗", "早上好", "hi", "哈喽", "Hello  there"],
    "goodbye": ["再见", "拜拜", "没事了再见", "下次见", "bye", "回头见"],
    "ask_service": ["营业执照丢了怎么补办", "食品经营许可证怎么办理", "需要带什么材料", "办理要多久", "在哪个窗口办",
                    "收费吗", "医疗机构校验\t要多久"],
}
# Unseen n-grams, repeats, upper case, runs of white space (tabs, newlines), a lone tab, empty and 1-2 characters.
PROBE = ["你好呀", "拜拜了", "许可证丢了怎么补办", "办理需要什么材料", "HELLO   THERE", "hi\t\tbye", "a\tb", "", "x", "好",
         "医疗机构\n\n校验要多久要多久", "完全无关的句子：天气怎么样？", "营业执照 营业执照 营业执照", "ＡＢＣ全角", "/greet"]


def _data(labels: dict[str, list[str]], raw: bool) -> tuple[list[str], list[str]]:
    texts = [t if raw else fold(t) for ts in labels.values() for t in ts]
    return texts, [k for k, ts in labels.items() for _ in ts]


@pytest.mark.parametrize("raw", [False, True], ids=["folded", "raw"])
@pytest.mark.parametrize("classes", [3, 2], ids=["multinomial", "binary"])
def test_numpy_scorer_matches_sklearn_predict_proba(raw: bool, classes: int, tmp_path: Path) -> None:
    from scipy import sparse

    enc = NgramEncoder(dim=64)
    texts, labels = _data(dict(list(TRAIN.items())[:classes]), raw)
    vecs = enc.encode_docs(texts)
    model, vec = fit_sklearn(texts, labels, vecs)
    ours = IntentClassifier.from_sklearn(vec, model, 1.5)
    probe = PROBE + texts
    qvecs = enc.encode_queries([t or " " for t in probe])
    x = sparse.hstack([vec.transform(probe), sparse.csr_matrix(qvecs * 1.5)]).tocsr()
    expected = model.predict_proba(x)
    assert ours.labels == [str(c) for c in model.classes_]
    np.testing.assert_allclose(ours.predict_proba(probe, qvecs), expected, rtol=0, atol=1e-6)
    for i, t in enumerate(probe[:5]):  # one at a time, as the pipeline calls it
        ranking = ours.predict(t, qvecs[i])
        assert [s.name for s in ranking][0] == ours.labels[int(np.argmax(expected[i]))]
        got = {s.name: s.confidence for s in ranking}
        assert [got[c] for c in ours.labels] == pytest.approx(list(expected[i]), abs=1e-6)
    # the saved arrays score the same
    path = tmp_path / "intent.pkl"
    ours.save(path)
    again = IntentClassifier.load(path)
    assert again is not None
    np.testing.assert_allclose(again.predict_proba(probe, qvecs), expected, rtol=0, atol=1e-6)


def test_analyzer_matches_sklearn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts, labels = _data(TRAIN, raw=True)
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1).fit(texts)
    model, _ = fit_sklearn(texts, labels, np.zeros((len(texts), 4), np.float32))
    ours = IntentClassifier.from_sklearn(vec, model, 1.5)
    analyzer = vec.build_analyzer()
    for t in PROBE + texts:
        assert ours.tfidf.analyze(t) == analyzer(t)


def test_loading_a_model_imports_neither_sklearn_nor_scipy(tmp_path: Path) -> None:
    enc = NgramEncoder(dim=16)
    texts, labels = _data(TRAIN, raw=False)
    IntentClassifier.train(texts, labels, enc.encode_docs(texts)).save(tmp_path / "m.pkl")
    code = (
        "import sys, numpy as np\n"
        "from nlu.classifier import IntentClassifier\n"
        f"clf = IntentClassifier.load(__import__('pathlib').Path({str(tmp_path / 'm.pkl')!r}))\n"
        "assert clf is not None\n"
        "clf.predict('你好', np.zeros(16, np.float32))\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2], timeout=120)
