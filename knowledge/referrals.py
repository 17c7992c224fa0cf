"""The referral directory: common matters the knowledge base lacks → the department that handles them.

Knowledge data like the service items (knowledge/data/directory/referrals.yml), validated by
`ReferralDirectory` (knowledge/models.py); every problem names the file, the field and the fix.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge.errors import KnowledgeValidationError, LoadProblem
from knowledge.loader import DEFAULT_DATA_DIR, _problems
from knowledge.models import ReferralDirectory

DIRECTORY_FILE = Path("directory") / "referrals.yml"


def directory_path(data_dir: Path | None = None) -> Path:
    """The directory file of a knowledge folder (the demo folder's when that folder has none)."""
    path = (data_dir or DEFAULT_DATA_DIR) / DIRECTORY_FILE
    return path if path.exists() else DEFAULT_DATA_DIR / DIRECTORY_FILE


def parse_directory(path: Path, text: str) -> ReferralDirectory:
    """Validate one directory document; KnowledgeValidationError lists every problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise KnowledgeValidationError([LoadProblem(str(path), where, f"not valid YAML: {exc}", "fix the YAML syntax")]) from exc
    if not isinstance(raw, dict):
        raise KnowledgeValidationError(
            [LoadProblem(str(path), "(file)", "top level is not a mapping", "start with 'last_resort: ...'")])
    try:
        return ReferralDirectory.model_validate(raw)
    except ValidationError as exc:
        raise KnowledgeValidationError(_problems(path, exc, raw)) from exc


def load_directory(data_dir: Path | None = None) -> ReferralDirectory:
    """The referral directory of a knowledge folder (see `directory_path`)."""
    path = directory_path(data_dir)
    return parse_directory(path, path.read_text(encoding="utf-8"))
