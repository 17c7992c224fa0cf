"""The dependency directions of docs/architecture.md hold (the import-linter contracts of pyproject.toml, which
`make lint` also runs as `lint-imports`): knowledge ← nlu ← actions ← assistant, and the dialogue knows no web."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("knowledge", "nlu", "actions", "assistant")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the packages under `root` (they come first on the import path)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", str(root / "pyproject.toml")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_import_contracts_hold() -> None:
    done = lint_imports(REPO)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in done.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """The check catches a violation: a copy of the packages where the action layer imports the web app."""
    for name in PACKAGES:
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "data", "static"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "actions" / "texts.py"
    target.write_text(target.read_text(encoding="utf-8") + "\nfrom assistant.settings import Settings  # noqa\n",
                      encoding="utf-8")
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout[-4000:]
    assert "actions is not allowed to import assistant" in done.stdout and "actions.texts -> assistant.settings" in done.stdout


def test_lower_layers_read_no_files_of_higher_ones() -> None:
    """No import, no path either: a lower package that needs data of a higher one owns that data instead."""
    higher = {"knowledge": PACKAGES[1:], "nlu": PACKAGES[2:], "actions": PACKAGES[3:]}
    found = []
    for package, above in higher.items():
        for path in (REPO / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            found += [f"{path.relative_to(REPO)}: {m.group(0)}" for name in above
                      for m in re.finditer(rf"[\"'/]{name}[\"'/]", text)]
    assert found == []
