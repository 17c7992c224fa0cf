#!/usr/bin/env python3
"""`make contract`: are the repository's copies of the contract still byte-for-byte those of ../shared?

The tests read only files in the repository: tests/contract is a copy of ../shared/contract (every file), and
tests/reference holds the files of ../shared/reference that tests read. This compares them and prints the
command that repairs each difference. Exit 0: identical; 1: drift; 2: no ../shared to compare with (a
fresh clone has none; CI always has it, and .ci/run calls this before the tests).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OWN = {"README.md"}  # the copy folders' own notes (where the files came from)
# (copy in the repository, folder of ../shared, whole: every file of the shared folder must be copied)
PAIRS = (("tests/contract", "contract", True), ("tests/reference", "reference", False))


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def compare(shared: Path) -> list[str]:
    """One line per difference, each with the command that repairs it."""
    problems = []
    for copy_dir, shared_dir, whole in PAIRS:
        copy, source = REPO / copy_dir, shared / shared_dir
        shown = os.path.relpath(source, REPO)
        copied = files(copy) - OWN
        originals = files(source)
        for name in sorted(copied - originals):
            problems.append(f"{copy_dir}/{name}: not in {shown} (remove it: rm {copy_dir}/{name})")
        for name in sorted(copied & originals):
            if (copy / name).read_bytes() != (source / name).read_bytes():
                problems.append(f"{copy_dir}/{name}: differs from {shown}/{name} (cp {shown}/{name} {copy_dir}/{name})")
        if whole:
            for name in sorted(originals - copied):
                problems.append(f"{copy_dir}/{name}: missing (cp {shown}/{name} {copy_dir}/{name})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared folder (default ../shared)")
    args = parser.parse_args(argv)
    if not (args.shared / "contract").is_dir():
        print(f"contract: no {args.shared}/contract beside the repository: nothing to compare the copies with "
              "(CI has it; a fresh clone does not need it)", file=sys.stderr)
        return 2
    problems = compare(args.shared)
    for line in problems:
        print(f"contract drift: {line}", file=sys.stderr)
    if problems:
        print(f"contract: {len(problems)} difference(s) between the copies and {os.path.relpath(args.shared, REPO)}", file=sys.stderr)
        return 1
    count = sum(len(files(REPO / copy_dir) - OWN) for copy_dir, _, _ in PAIRS)
    print(f"contract: the {count} copied files equal those of {os.path.relpath(args.shared, REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
