"""`python -m benchmarks.run [--quick] [--only NAME[,NAME]]`: measure and write docs/benchmarks.md.

Sections: accuracy, conversations, latency, coldstart, build, scale, ann (see benchmarks/sections.py). Each runs on its
own; a failing section is reported in the document and the others go on. Sections not run this time keep
their previous results (from bench-cache/sections), marked with their date.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback

from benchmarks.common import CACHE, DOC, git_commit, log, machine_info
from benchmarks.report import Section, write_doc
from benchmarks.sections import RUN_ORDER, SECTIONS, Opts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="1k and 10k scales only; skip what needs > 2 minutes")
    p.add_argument("--only", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    p.add_argument("--encode-budget", type=float, default=100.0, metavar="MIN",
                   help="scale: minutes of encoding at most; the 100k row then uses stand-in vectors (default 100)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    keys = list(RUN_ORDER)
    if args.only:
        wanted = [k.strip() for k in args.only.split(",") if k.strip()]
        unknown = [k for k in wanted if k not in SECTIONS]
        if unknown:
            print(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
            return 2
        keys = [k for k in RUN_ORDER if k in wanted]
    mode = "quick" if args.quick else "full"
    CACHE.mkdir(exist_ok=True)
    machine = machine_info()
    commit = git_commit()
    log(f"benchmarks ({mode}): {', '.join(keys)}; machine {machine['cpu']}, {machine['cores']} cores, {machine['ram']}")
    opts = Opts(quick=args.quick, encode_budget_min=args.encode_budget)
    fresh: set[str] = set()
    failed = []
    for key in keys:
        title, fn = SECTIONS[key]
        log(f"== {title}")
        sec = Section(key=key, title=title, when=machine["date"], commit=commit, mode=mode)
        t = time.perf_counter()
        try:
            sec.md, sec.targets = fn(opts)
        except Exception:  # a failing section is reported, the others still run
            sec.error = traceback.format_exc(limit=6)[-3000:]
            failed.append(key)
            log(f"!! {title} failed:\n{sec.error}")
        sec.seconds = time.perf_counter() - t
        sec.save()
        fresh.add(key)
        log(f"== {title}: {'failed' if sec.error else 'done'} in {sec.seconds:.0f} s")
        # Rewrite the document after every section, so a long run shows progress and an interrupted one keeps results.
        write_doc(machine, _all_sections(), fresh, mode)
    log(f"wrote {DOC.relative_to(DOC.parent.parent)}" + (f"; failed sections: {', '.join(failed)}" if failed else ""))
    return 0


def _all_sections() -> list[Section]:
    out = []
    for key in SECTIONS:  # document order 1-6
        s = Section.load(key)
        if s is not None:
            out.append(s)
    return out


if __name__ == "__main__":
    sys.exit(main())
