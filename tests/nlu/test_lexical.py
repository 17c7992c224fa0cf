"""Lexical channel: tokenizer, BM25 ranking, incremental updates equal a fresh bulk build."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.lexical import LexicalIndex, Tokenizer

WORDS = ["食品", "经营", "许可证", "丢了", "怎么", "补办", "医疗", "机构", "校验", "材料", "需要", "哪些", "多久", "办理",
         "公司", "营业执照", "地址", "电话", "窗口", "网上", "abc", "2025"]
DICT = ["许可证", "营业执照", "食品经营许可证"]


def _docs(seed: int, n: int) -> dict[str, str]:
    rnd = random.Random(seed)
    return {f"d{i}": "".join(rnd.choices(WORDS, k=rnd.randint(2, 12))) for i in range(n)}


QUERIES = ["食品许可证丢了", "医疗机构校验材料", "营业执照地址", "怎么办理", "公司电话窗口", "abc 2025 网上"]


def assert_same_ranking(a: list[tuple[str, float]], b: list[tuple[str, float]], tol: float = 0.02) -> None:
    """Same documents in the same order, up to near-ties (score differences within `tol`)."""
    sa, sb = dict(a), dict(b)
    floor_a = a[-1][1] if a else 0.0
    floor_b = b[-1][1] if b else 0.0
    for key in set(sa) | set(sb):
        if key in sa and key in sb:
            assert sa[key] == pytest.approx(sb[key], abs=tol), key
        elif key in sa:
            assert sa[key] <= floor_b + tol, f"{key} missing from the fresh ranking"
        else:
            assert sb[key] <= floor_a + tol, f"{key} missing from the incremental ranking"
    for (k1, s1), (k2, s2) in zip(a, a[1:], strict=False):
        if k1 in sb and k2 in sb and s1 - s2 > tol:
            assert sb[k1] > sb[k2], (k1, k2)


def test_tokenizer() -> None:
    tok = Tokenizer(["营业执照", "许可证", "x"])  # one-character terms are ignored
    terms = tok("营业执照的abc 12")
    assert "D:营业执照" in terms and "abc" in terms and "12" in terms
    assert "的" not in terms  # stop unigram
    assert "照的" in terms  # bigrams keep stop characters
    assert "D:x" not in terms
    assert Tokenizer()("") == []


def test_ranking_finds_the_matching_doc() -> None:
    idx = LexicalIndex(Tokenizer(DICT))
    idx.set_docs([("lost", "食品经营许可证丢了怎么补办"), ("where", "政务服务中心地址在哪里"), ("hours", "几点上班")])
    top = idx.search("食品许可证丢失补办", k=3)
    assert top[0][0] == "lost"
    assert all(0 < s <= 1 for _, s in top)
    assert idx.search("xyz") == []  # no shared term
    assert idx.search("") == []


def test_self_score_is_one() -> None:
    idx = LexicalIndex(Tokenizer(DICT))
    idx.set_docs(_docs(3, 30).items())
    idx.set_doc("exact", "营业执照地址")
    key, score = idx.search("营业执照地址", k=1)[0]
    assert key == "exact" and score == pytest.approx(1.0)


def test_removed_and_replaced_docs() -> None:
    idx = LexicalIndex(Tokenizer(DICT))
    idx.set_docs([("a", "食品经营许可证"), ("b", "医疗机构校验"), ("c", "营业执照")])
    idx.remove_doc("a")
    idx.remove_doc("missing")  # no error
    assert "a" not in dict(idx.search("食品经营许可证"))
    idx.set_doc("b", "营业执照丢了")  # replace: old text gone
    assert "b" not in dict(idx.search("医疗机构校验"))
    assert "b" in dict(idx.search("营业执照丢了"))
    assert len(idx) == 2


@pytest.mark.parametrize("merge_at", [1, 3, 512])
def test_incremental_updates_rank_like_a_fresh_bulk_build(merge_at: int) -> None:
    docs = _docs(1, 60)
    tok = Tokenizer(DICT)
    inc = LexicalIndex(tok, merge_at=merge_at)
    items = list(docs.items())
    inc.set_docs(items[:40])
    for k, v in items[40:]:
        inc.set_doc(k, v)
    for k in ("d3", "d41", "d17"):
        inc.remove_doc(k)
        del docs[k]
    docs["d5"] = "食品经营许可证丢了怎么补办"
    inc.set_doc("d5", docs["d5"])
    fresh = LexicalIndex(tok)
    fresh.set_docs(docs.items())
    assert len(inc) == len(fresh) == 57
    for q in QUERIES:
        a, b = inc.search(q, 10), fresh.search(q, 10)
        assert {k for k, _ in a} <= set(docs), "a removed document still ranks"
        # merge_at=1: the last set_doc merged everything, so scores equal the fresh build's exactly;
        # otherwise merged rows keep the average length of their merge (near-ties may swap).
        assert_same_ranking(a, b, tol=1e-9)  # base and delta both score with the live average length


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    ops=st.lists(st.tuples(st.sampled_from(["set", "remove"]), st.integers(0, 30), st.integers(0, 10_000)), max_size=40),
)
def test_incremental_equals_bulk_property(seed: int, ops: list[tuple[str, int, int]]) -> None:
    docs = _docs(seed, 20)
    tok = Tokenizer(DICT)
    inc = LexicalIndex(tok, merge_at=8)
    inc.set_docs(docs.items())
    for op, n, s in ops:
        key = f"d{n}"
        if op == "set":
            docs[key] = _docs(s, 1)["d0"]
            inc.set_doc(key, docs[key])
        else:
            docs.pop(key, None)
            inc.remove_doc(key)
    fresh = LexicalIndex(tok)
    fresh.set_docs(docs.items())
    assert len(inc) == len(fresh)
    for q in QUERIES:
        a, b = inc.search(q, 10), fresh.search(q, 10)
        assert {k for k, _ in a} <= set(docs)
        # Base and delta score with the live document frequencies and average length: as a fresh build.
        assert_same_ranking(a, b, tol=1e-9)
