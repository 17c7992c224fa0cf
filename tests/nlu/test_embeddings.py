"""Encoders: the model-free NgramEncoder, the query cache, the encoder spec and parallel encoding."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.embeddings import CachedEncoder, Encoder, EncoderSpec, NgramEncoder, encode_many, text_key
from nlu.errors import EncoderUnavailable


def test_ngram_deterministic_and_unit_norm() -> None:
    a, b = NgramEncoder(), NgramEncoder()
    texts = ["食品经营许可证丢了怎么补办", "营业执照", "hello world", "a"]
    va, vb = a.encode_queries(texts), b.encode_docs(texts)
    assert va.dtype == np.float32 and va.shape == (4, 1024)
    np.testing.assert_array_equal(va, vb)
    np.testing.assert_allclose(np.linalg.norm(va, axis=1), 1.0, rtol=1e-5)
    assert isinstance(a, Encoder) and a.name == "ngram-1024"


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=50).filter(lambda t: "".join(t.split())))
def test_ngram_unit_norm_property(text: str) -> None:
    v = NgramEncoder(dim=64).encode_queries([text])
    assert v.shape == (1, 64)
    assert float(np.linalg.norm(v)) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_array_equal(v, NgramEncoder(dim=64).encode_queries([text]))


def test_ngram_similarity_reflects_shared_ngrams() -> None:
    enc = NgramEncoder()
    q, near, far = enc.encode_queries(["食品经营许可证丢了", "食品经营许可证遗失", "今天天气怎么样"])
    assert float(q @ near) > float(q @ far) + 0.3
    assert enc.encode_queries([]).shape == (0, 1024)
    # White space is ignored.
    np.testing.assert_array_equal(enc.encode_queries(["食品 经营"]), enc.encode_queries(["食品经营"]))


class CountingEncoder:
    """Wraps NgramEncoder and counts calls."""

    def __init__(self) -> None:
        self.inner = NgramEncoder(dim=32)
        self.name, self.dim = "counting", 32
        self.calls = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        return self.inner.encode_queries(texts)

    def encode_docs(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        return self.inner.encode_docs(texts)


def test_cached_encoder_counts_hits_and_misses() -> None:
    inner = CountingEncoder()
    enc = CachedEncoder(inner, size=2)
    assert (enc.name, enc.dim) == ("counting", 32)
    v1 = enc.encode_query("甲")
    v1b = enc.encode_query("甲")
    assert (enc.hits, enc.misses, inner.calls) == (1, 1, 1)
    assert v1 is v1b and v1.shape == (32,)
    with pytest.raises(ValueError):
        v1[0] = 5.0  # cached vectors are read-only
    enc.encode_query("乙")
    enc.encode_query("甲")  # refreshes 甲
    enc.encode_query("丙")  # evicts 乙 (least recently used)
    assert (enc.hits, enc.misses) == (2, 3)
    enc.encode_query("乙")
    assert (enc.hits, enc.misses) == (2, 4)
    enc.encode_query("丙")
    assert enc.hits == 3
    # Batch calls go straight to the inner encoder, uncached.
    before = inner.calls
    enc.encode_queries(["甲"])
    enc.encode_docs(["甲"])
    assert inner.calls == before + 2 and enc.hits == 3


def test_encoder_spec() -> None:
    assert isinstance(EncoderSpec("ngram").create(), NgramEncoder)
    with pytest.raises(EncoderUnavailable, match="unknown encoder"):
        EncoderSpec("word2vec").create()
    with pytest.raises(EncoderUnavailable, match="MODEL_PATH"):
        EncoderSpec("sentence-transformers").create()


def test_encode_many_chunks_and_reports_progress() -> None:
    enc = NgramEncoder(dim=16)
    texts = [f"文本{i}" for i in range(150)]
    seen: list[int] = []
    out = encode_many(enc, EncoderSpec("ngram"), texts, workers=4, chunk=64, progress=seen.append)
    assert out.shape == (150, 16) and seen == [64, 64, 22]
    np.testing.assert_array_equal(out, enc.encode_docs(texts))
    assert encode_many(enc, EncoderSpec("ngram"), []).shape == (0, 16)


def test_text_key() -> None:
    assert text_key("a", "b") == text_key("a", "b")
    assert text_key("a", "b") != text_key("ab", "")
    assert len(text_key("x", "y")) == 40
