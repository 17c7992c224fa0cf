"""The cue words of form replies (nlu/data/form_cues.yml), loaded once and checked."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import yaml

from nlu.errors import TrainingDataError
from nlu.normalize import fold

CUES_FILE = Path(__file__).parent / "data" / "form_cues.yml"


@dataclass(frozen=True)
class FormCues:
    """Every list of nlu/data/form_cues.yml (folded as the normalised text is)."""

    cancel: tuple[str, ...]
    leave: tuple[str, ...]
    postpone: tuple[str, ...]
    not_postpone: tuple[str, ...]
    cancel_filler: tuple[str, ...]
    not_correction: tuple[str, ...]
    correction: tuple[str, ...]
    back_reference: tuple[str, ...]
    value_lead: tuple[str, ...]
    switch: tuple[str, ...]
    switch_plain: tuple[str, ...]
    denial_start: tuple[str, ...]
    matter_nouns: tuple[str, ...]
    wait: tuple[str, ...]
    wait_opening: tuple[str, ...]
    memory: tuple[str, ...]
    dont_know: tuple[str, ...]
    summary: tuple[str, ...]
    question_marks: tuple[str, ...]
    question_words: tuple[str, ...]
    text_question_words: tuple[str, ...]
    field_question: tuple[str, ...]
    smalltalk_bot: tuple[str, ...]
    smalltalk_continue: tuple[str, ...]
    smalltalk_chat: tuple[str, ...]
    intro_lead: tuple[str, ...]
    name_lead: tuple[str, ...]
    roles: tuple[str, ...]
    surnames: tuple[str, ...]
    compound_surnames: tuple[str, ...]
    nickname_prefix: tuple[str, ...]
    not_names: tuple[str, ...]
    org_lead: tuple[str, ...]
    item_all: tuple[str, ...]
    item_all_weak: tuple[str, ...]
    item_several: tuple[str, ...]
    item_exclude: tuple[str, ...]
    item_more: tuple[str, ...]
    item_fillers: tuple[str, ...]
    item_nouns: tuple[str, ...]


def load_cues(path: Path = CUES_FILE) -> FormCues:
    """Read and fold the cue lists; a missing or empty list names the file and the list."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    values: dict[str, tuple[str, ...]] = {}
    for f in fields(FormCues):
        value = raw.get(f.name)
        if isinstance(value, str):  # a run of single characters (surnames)
            value = list(value)
        if not isinstance(value, list) or not value:
            raise TrainingDataError(f"{path.name}: `{f.name}` must be a non-empty list of words")
        folded = [fold(str(v)) for v in value]
        # longest first: a longer cue is tried before the cue it contains
        values[f.name] = tuple(sorted(dict.fromkeys(w for w in folded if w), key=len, reverse=True))
    unknown = sorted(set(raw) - set(values))
    if unknown:
        raise TrainingDataError(f"{path.name}: unknown lists {unknown}")
    return FormCues(**values)


@lru_cache(maxsize=1)
def cues() -> FormCues:
    """The shipped cue lists."""
    return load_cues()
