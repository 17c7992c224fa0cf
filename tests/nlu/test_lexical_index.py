"""Lexical index internals: postings scoring equals a brute-force BM25 over every document, the trie tokenizer
equals the plain alternation of dictionary terms, and the index survives save/load (or is refused)."""

from __future__ import annotations

import random
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nlu.lexical as lexical
from nlu.errors import IndexMismatch
from nlu.lexical import LEXICAL_FILE, LexicalIndex, Tokenizer, _top_rows
from nlu.retrieval import Retriever

WORDS = ["食品", "经营", "许可证", "丢了", "怎么", "补办", "医疗", "机构", "校验", "材料", "需要", "哪些", "多久", "办理",
         "公司", "营业执照", "地址", "电话", "窗口", "网上", "abc", "2025", "的", "食品经营许可证"]
DICT = ["许可证", "营业执照", "食品经营许可证", "食品经营", "医疗机构"]
QUERIES = ["食品许可证丢了", "医疗机构校验材料", "营业执照地址", "怎么办理", "公司电话窗口", "abc 2025 网上",
           "食品经营许可证", "许可证", "的", "xyz", "食品经营许可证丢了怎么补办需要哪些材料"]


# ---- references -----------------------------------------------------------------------------


class AlternationTokenizer:
    """The tokenizer before the trie: dictionary terms as one alternation, longest first."""

    def __init__(self, dictionary: Iterable[str] = ()):
        terms = sorted({t for t in dictionary if len(t) >= 2}, key=len, reverse=True)
        self._dict_re = re.compile("|".join(re.escape(t) for t in terms)) if terms else None

    def __call__(self, text: str) -> list[str]:
        out: list[str] = []
        if self._dict_re is not None:
            out += ["D:" + m.group(0) for m in self._dict_re.finditer(text)]
        out += re.findall(r"[a-z0-9]+", text)
        for run in re.findall(r"[\u3400-\u9fff]+", text):
            out += [c for c in run if c not in lexical._STOP_UNIGRAMS]
            out += [run[i : i + 2] for i in range(len(run) - 1)]
        return out


class BruteForceBM25:
    """BM25 scoring every document with the live document frequencies and average length; merges only fix the
    order in which equal scores are listed."""

    def __init__(self, tok: Tokenizer, k1: float = 1.2, b: float = 0.5, merge_at: int = 512):
        self.tok, self.k1, self.b, self.merge_at = tok, k1, b, merge_at
        self.docs: dict[str, Counter[str]] = {}
        self.merged: dict[str, None] = {}  # in merge order
        self.delta: dict[str, None] = {}  # in insertion order

    def avgdl(self) -> float:
        return sum(sum(c.values()) for c in self.docs.values()) / max(1, len(self.docs))

    def weights(self, counts: Counter[str], avgdl: float) -> dict[str, float]:
        norm = self.k1 * (1 - self.b + self.b * sum(counts.values()) / max(avgdl, 1e-9))
        return {t: c * (self.k1 + 1) / (c + norm) for t, c in counts.items()}

    def set_doc(self, key: str, text: str, merge: bool = True) -> None:
        self.remove_doc(key)
        self.docs[key] = Counter(self.tok(text))
        self.delta[key] = None
        if merge and len(self.delta) >= self.merge_at:
            self.merge()

    def set_docs(self, items: Iterable[tuple[str, str]]) -> None:
        for key, text in items:
            self.set_doc(key, text, merge=False)
        self.merge()

    def remove_doc(self, key: str) -> None:
        self.docs.pop(key, None)
        self.merged.pop(key, None)
        self.delta.pop(key, None)

    def merge(self) -> None:
        self.merged = {k: None for k in [*self.merged, *self.delta]}  # the order only: weights use the live avgdl
        self.delta = {}

    def search(self, text: str, k: int = 20) -> list[tuple[str, float]]:
        terms = set(self.tok(text))
        if not terms or not self.docs:
            return []
        n = len(self.docs)

        def idf(t: str) -> float:
            df = sum(1 for c in self.docs.values() if t in c)
            return float(np.log(1 + (n - df + 0.5) / (df + 0.5))) * (2.0 if t.startswith("D:") else 1.0)

        weights = {t: idf(t) for t in terms if any(t in c for c in self.docs.values())}
        if not weights:
            return []
        self_score = sum(idf(t) for t in terms) * (self.k1 + 1) / (1 + self.k1)
        avgdl = self.avgdl()
        scores = []
        for key in [*self.merged, *self.delta]:
            row = self.weights(self.docs[key], avgdl)
            s = sum(w * row[t] for t, w in weights.items() if t in row)
            if s > 0:
                scores.append((key, s))
        scores.sort(key=lambda kv: -kv[1])
        scale = max(self_score, scores[0][1] if scores else 0.0, 1e-9)  # the best document's when it passes the query's
        return [(key, v / scale) for key, v in scores[:k]]


def assert_same_results(got: list[tuple[str, float]], want: list[tuple[str, float]], tol: float = 1e-9) -> None:
    """Same scores position by position; same documents in each run of equal scores (the last run may be cut
    differently by k: a document there only has to score the same)."""
    assert len(got) == len(want), (got, want)
    for (_, sg), (_, sw) in zip(got, want, strict=True):
        assert sg == pytest.approx(sw, rel=tol, abs=tol), (got, want)
    start = 0
    for i in range(1, len(want) + 1):
        if i == len(want) or abs(want[i][1] - want[i - 1][1]) > tol:
            if i < len(want):
                assert {k for k, _ in got[start:i]} == {k for k, _ in want[start:i]}, (got, want)
            start = i


def _text(rnd: random.Random) -> str:
    return "".join(rnd.choices(WORDS, k=rnd.randint(1, 12))) + rnd.choice(["", " abc", " 2025 网上"])


def _docs(seed: int, n: int) -> dict[str, str]:
    rnd = random.Random(seed)
    return {f"d{i}": _text(rnd) for i in range(n)}


# ---- tokenizer ------------------------------------------------------------------------------


@settings(max_examples=200)
@given(
    dictionary=st.lists(st.text(alphabet="食品经营许可证ab.(+", min_size=1, max_size=6), max_size=12),
    text=st.text(alphabet="食品经营许可证ab.(+ 的", max_size=40),
)
def test_trie_tokenizer_equals_the_alternation(dictionary: list[str], text: str) -> None:
    assert Tokenizer(dictionary)(text) == AlternationTokenizer(dictionary)(text)


def test_trie_tokenizer_longest_match_and_long_terms() -> None:
    tok = Tokenizer(["食品经营", "食品经营许可证", "许可", "经营许可证书"])
    assert [t for t in tok("食品经营许可证书食品经营许") if t.startswith("D:")] == ["D:食品经营许可证", "D:食品经营"]
    long = "长" * 3000  # chains of single children need neither recursion nor nested groups
    assert Tokenizer([long, "长长"])(long + "长")[:2] == ["D:" + long, "长"]


def test_tokenizer_fingerprint_follows_the_dictionary() -> None:
    assert Tokenizer(["许可证", "营业执照"]).fingerprint == Tokenizer(["营业执照", "许可证", "x"]).fingerprint
    assert Tokenizer(["许可证"]).fingerprint != Tokenizer(["营业执照"]).fingerprint


# ---- scoring equals the brute force ---------------------------------------------------------


@pytest.mark.parametrize("merge_at", [1, 3, 512])
def test_postings_scores_equal_brute_force(merge_at: int) -> None:
    tok = Tokenizer(DICT)
    idx, ref = LexicalIndex(tok, merge_at=merge_at), BruteForceBM25(tok, merge_at=merge_at)
    docs = _docs(5, 80)
    items = list(docs.items())
    idx.set_docs(items[:60])
    ref.set_docs(items[:60])
    rnd = random.Random(6)
    for key, text in items[60:]:
        idx.set_doc(key, text)
        ref.set_doc(key, text)
    for key in rnd.sample(sorted(docs), 10):
        idx.remove_doc(key)
        ref.remove_doc(key)
    for key in rnd.sample(sorted(idx.keys()), 10):  # changed: merged rows masked, new text in the delta
        text = _text(rnd)
        idx.set_doc(key, text)
        ref.set_doc(key, text)
    assert len(idx) == len(ref.docs) == 70
    assert sorted(idx.keys()) == sorted(ref.docs)
    for q in QUERIES + [_text(rnd) for _ in range(30)]:
        for k in (1, 5, 20, 100):
            assert_same_results(idx.search(q, k), ref.search(q, k))


def test_ties_keep_index_order() -> None:
    idx = LexicalIndex(Tokenizer(DICT), merge_at=4)
    idx.set_docs((f"d{i}", "营业执照地址") for i in range(3))
    idx.set_doc("delta", "营业执照地址")
    idx.set_doc("d0", "营业执照地址")  # changed: now after the others
    assert [k for k, _ in idx.search("营业执照", 10)] == ["d1", "d2", "delta", "d0"]
    assert [k for k, _ in idx.search("营业执照", 2)] == ["d1", "d2"]
    assert idx.search("营业执照", 0) == []


@pytest.mark.parametrize("seed", range(4))
def test_top_rows_equals_a_full_sort(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for n, k in [(10, 3), (5000, 60), (20000, 60), (20000, 1), (3000, 100)]:
        for scores in (
            rng.random(n),
            rng.integers(0, 3, n).astype(float),  # many ties
            np.where(rng.random(n) < 0.002, rng.random(n), 0.0),  # sparse: the sampled threshold misses
            np.repeat(rng.random(n // 20 + 1), 20)[:n],  # runs of equal scores, as FAQs of one item
        ):
            want = sorted(sorted((i for i in range(n) if scores[i] > 0), key=lambda i: (-scores[i], i))[:k])
            assert _top_rows(scores, k).tolist() == want


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.integers(0, 25), st.integers(0, 10**6)),
        st.tuples(st.just("remove"), st.integers(0, 25), st.just(0)),
        st.tuples(st.just("reload"), st.just(0), st.just(0)),
    ),
    max_size=40,
)


@settings(max_examples=60)
@given(seed=st.integers(0, 10**6), merge_at=st.sampled_from([1, 2, 5, 512]), ops=OPS)
def test_incremental_updates_and_reloads_equal_brute_force(seed: int, merge_at: int, ops: list[tuple[str, int, int]]) -> None:
    tok = Tokenizer(DICT)
    idx, ref = LexicalIndex(tok, merge_at=merge_at), BruteForceBM25(tok, merge_at=merge_at)
    docs = _docs(seed, 15)
    idx.set_docs(docs.items())
    ref.set_docs(docs.items())
    with tempfile.TemporaryDirectory() as tmp:
        for op, n, s in ops:
            key = f"d{n}"
            if op == "set":
                text = _text(random.Random(s))
                idx.set_doc(key, text)
                ref.set_doc(key, text)
            elif op == "remove":
                idx.remove_doc(key)
                ref.remove_doc(key)
            else:  # save and load: the copy must carry on exactly like the original
                idx.save(Path(tmp) / LEXICAL_FILE, "kb")
                again = LexicalIndex(tok, merge_at=merge_at)
                again.load(Path(tmp) / LEXICAL_FILE, "kb")
                for q in QUERIES[:4]:
                    assert again.search(q, 10) == idx.search(q, 10)
                idx = again
    assert sorted(idx.keys()) == sorted(ref.docs) and len(idx) == len(ref.docs)
    for q in QUERIES:
        assert_same_results(idx.search(q, 10), ref.search(q, 10))


# ---- persistence ----------------------------------------------------------------------------


def _index_with_history(tok: Tokenizer) -> LexicalIndex:
    """An index with merged rows, masked rows and a delta."""
    idx = LexicalIndex(tok, merge_at=50)
    idx.set_docs(_docs(1, 40).items())
    rnd = random.Random(2)
    for i in range(10):
        idx.set_doc(f"d{i * 3}", _text(rnd))
        idx.remove_doc(f"d{i * 3 + 1}")
    idx.set_doc("new", "食品经营许可证丢了怎么补办")
    assert idx._n_dead and idx._delta
    return idx


def test_save_load_round_trip(tmp_path: Path) -> None:
    tok = Tokenizer(DICT)
    idx = _index_with_history(tok)
    idx.save(tmp_path / LEXICAL_FILE, "kb-1")
    again = LexicalIndex(tok, merge_at=50)
    again.load(tmp_path / LEXICAL_FILE, "kb-1")
    assert again.keys() == idx.keys() and again.avgdl == idx.avgdl
    for q in QUERIES:
        assert again.search(q, 20) == idx.search(q, 20)
    # Both carry on identically, through a merge.
    rnd = random.Random(3)
    for i in range(60):
        text = _text(rnd)
        for x in (idx, again):
            x.set_doc(f"n{i}", text)
            x.remove_doc(f"d{i}")
    for q in QUERIES:
        assert again.search(q, 20) == idx.search(q, 20)
    with np.load(tmp_path / LEXICAL_FILE, allow_pickle=False) as z:  # numpy arrays only
        assert all(z[name].dtype != object for name in z.files)


def test_loading_needs_no_tokenizing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tok = Tokenizer(DICT)
    idx = _index_with_history(tok)
    idx.save(tmp_path / LEXICAL_FILE, "kb")
    calls: list[str] = []
    original = Tokenizer.__call__
    monkeypatch.setattr(Tokenizer, "__call__", lambda self, text: (calls.append(text), original(self, text))[1])
    again = LexicalIndex(tok)
    again.load(tmp_path / LEXICAL_FILE, "kb")
    assert calls == []
    again.search("营业执照", 5)
    assert calls == ["营业执照"]


def _tamper(path: Path, **changes: np.ndarray) -> None:
    with np.load(path, allow_pickle=False) as z:
        arrays = {name: z[name] for name in z.files}
    arrays.update(changes)
    with path.open("wb") as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]


@pytest.mark.parametrize("case", ["hash", "dictionary", "k1", "format", "missing", "garbage", "truncated",
                                  "out-of-range", "offsets", "duplicate-key"])
def test_stale_or_broken_files_are_refused(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tok = Tokenizer(DICT)
    path = tmp_path / LEXICAL_FILE
    _index_with_history(tok).save(path, "kb")
    target_tok, k1, expected_hash = tok, 1.2, "kb"
    if case == "hash":
        expected_hash = "other-kb"
    elif case == "dictionary":
        target_tok = Tokenizer([*DICT, "营业执照地址"])
    elif case == "k1":
        k1 = 1.5
    elif case == "format":
        monkeypatch.setattr(lexical, "LEXICAL_FORMAT", lexical.LEXICAL_FORMAT + 1)
    elif case == "missing":
        path.unlink()
    elif case == "garbage":
        path.write_bytes(b"not a zip file")
    elif case == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif case == "out-of-range":
        with np.load(path) as z:
            rows = z["post_rows"].copy()
        rows[0] = 10**6
        _tamper(path, post_rows=rows)
    elif case == "offsets":
        with np.load(path) as z:
            ptr = z["doc_ptr"].copy()
        ptr[-1] += 1
        _tamper(path, doc_ptr=ptr)
    elif case == "duplicate-key":
        with np.load(path) as z:
            delta_keys, delta_ends, rows, rows_ends = z["delta_keys"], z["delta_ends"], z["rows"], z["rows_ends"]
        first_live = lexical._unpack(rows, rows_ends)[2]  # d2 is neither removed nor changed
        keys = lexical._unpack(delta_keys, delta_ends)
        _tamper(path, **dict(zip(("delta_keys", "delta_ends"), lexical._pack([first_live, *keys[1:]]), strict=True)))
    target = LexicalIndex(target_tok, k1=k1)
    target.set_docs([("keep", "营业执照地址")])
    before = target.search("营业执照地址", 5)
    with pytest.raises(IndexMismatch):
        target.load(path, expected_hash)
    assert target.keys() == ["keep"] and target.search("营业执照地址", 5) == before


# ---- the retriever saves and loads it next to the vectors -----------------------------------


def test_retriever_loads_the_saved_lexical_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.nlu.test_retrieval import _kb, _retriever, _search

    r, enc = _retriever()
    r.save(tmp_path)
    assert (tmp_path / LEXICAL_FILE).is_file()
    queries = ["停车费多少钱", "公章刻制", "哪里停车", "车位"]

    def loaded(forbid_set_docs: bool) -> Retriever:
        again = Retriever(_kb(), enc, r.spec, r.weights)
        with monkeypatch.context() as m:
            if forbid_set_docs:
                m.setattr(LexicalIndex, "set_docs", lambda *a: pytest.fail("re-tokenised at load"))
            again.load(tmp_path)
        return again

    again = loaded(forbid_set_docs=True)
    for q in queries:
        assert _search(again, enc, q) == _search(r, enc, q)
        assert again.lexical.search(q, 10) == r.lexical.search(q, 10)

    # Missing, stale (other knowledge) or disagreeing with the id table: rebuilt from the texts and saved again.
    stale = LexicalIndex(r.lexical.tok)
    stale.set_docs([("parking-item/overview", "停车")])
    for breakage in (lambda: (tmp_path / LEXICAL_FILE).unlink(), lambda: r.lexical.save(tmp_path / LEXICAL_FILE, "other"),
                     lambda: stale.save(tmp_path / LEXICAL_FILE, r.manifest().knowledge_hash)):
        breakage()
        again = loaded(forbid_set_docs=False)
        assert sorted(again.lexical.keys()) == sorted(r.lexical.keys())
        for q in queries:
            assert _search(again, enc, q) == _search(r, enc, q)
        loaded(forbid_set_docs=True)  # the rebuilt index was saved
