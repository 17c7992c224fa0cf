"""Filing references (受理编号): their shape, their canonical form and how new ones are made.

    LN20250618-7K3QX9   kind (LN lost notice, MV medical validation) + Beijing day + 6 random characters
    LN20250618001       the older form (a 3-digit daily sequence), still read

The random part uses 32 characters without 0/O and 1/I (nothing to confuse when a receipt is read out on the
phone): 32^6 ≈ 10^9 references per kind and day, so a reference cannot be guessed and there is no daily
number an attacker could use up. One definition for the entity extractor (nlu/entities.py), the form's check
(actions/validators.py), the dialogue (assistant/dialogue/understanding.py) and the filing store.
"""

from __future__ import annotations

import re
import secrets
from datetime import date

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0, O, 1, I
RANDOM_LENGTH = 6
KINDS = ("LN", "MV")
_RANDOM = f"[{ALPHABET}]{{{RANDOM_LENGTH}}}"
# A reference inside text, any case, the random part after an optional separator (a dash, a space or none).
IN_TEXT = re.compile(r"(?<![0-9A-Za-z])((?:LN|MV)[0-9]{8}(?:[-\s－—]?" + _RANDOM + r"|[0-9]{3}))(?![0-9A-Za-z])",
                     re.IGNORECASE)
# The canonical forms (what the store keeps): new, then old.
CANONICAL = re.compile(r"^(?:LN|MV)[0-9]{8}(?:-" + _RANDOM + r"|[0-9]{3})$")
# For Rasa's regex features (nlu.yml `regex: filing_id`).
RASA_REGEX = r"(LN|MV)\d{8}(-?[2-9A-HJ-NP-Z]{6}|\d{3})"


def new_reference(kind_prefix: str, day: date) -> str:
    """A fresh random reference of this kind and Beijing day."""
    if kind_prefix not in KINDS:
        raise ValueError(f"unknown filing kind prefix {kind_prefix!r}")
    return f"{kind_prefix}{day:%Y%m%d}-{''.join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))}"


def canonical(text: str) -> str | None:
    """The canonical reference of a typed one (any case, dash/space/none before the random part), else None."""
    if not isinstance(text, str):
        return None
    raw = re.sub(r"[\s\-－—]", "", text).upper()
    if len(raw) == 16 and raw[:2] in KINDS and raw[2:10].isdigit() and all(c in ALPHABET for c in raw[10:]):
        return f"{raw[:10]}-{raw[10:]}"
    if len(raw) == 13 and raw[:2] in KINDS and raw[2:].isdigit():
        return raw
    return None


def find(text: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical reference) of every reference in `text`."""
    out = []
    for m in IN_TEXT.finditer(text or ""):
        ref = canonical(m.group(1))
        if ref is not None:
            out.append((m.start(1), m.end(1), ref))
    return out
