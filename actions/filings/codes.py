"""Verification codes of published records: an HMAC of the record's published content with the app's secret.

A code is printed with a published record (a validation result here; lost-license notices have the same kind)
and is checked by recomputing it from the record as published: nobody without the secret can make the code of a
content, so a forged printout does not verify. Each kind of record has its own `purpose` (its own key derived
from the secret). Changing LINGLING_SECRET_KEY changes every code: keep it as long as printed records are valid.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

# Crockford's base32: no I, L, O, U (nothing to confuse when typed from paper).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 16  # 80 bits, shown as four groups of four
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_SHAPE = re.compile(rf"^[{ALPHABET}]{{{CODE_CHARS}}}$")


def content_code(purpose: str, fields: Sequence[str], secret: str) -> str:
    """The code of `fields` (the published content, in a fixed order) for one `purpose`, e.g. `7K3Q-M9XD-2TPA-HV4C`."""
    key = hmac.new(secret.encode("utf-8"), f"lingling/{purpose}".encode(), hashlib.sha256).digest()
    digest = hmac.new(key, "\n".join(fields).encode("utf-8"), hashlib.sha256).digest()
    value = int.from_bytes(digest[:10], "big")  # 80 bits
    chars = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(CODE_CHARS)))
    return "-".join(chars[i:i + 4] for i in range(0, CODE_CHARS, 4))


def normalize_code(text: str) -> str:
    """A code as typed or scanned (any case, spaces and hyphens, O for 0, I/L for 1); '' when it cannot be one."""
    folded = re.sub(r"[\s\-－—_]", "", text or "").upper().translate(_TYPED)
    return folded if _SHAPE.match(folded) else ""


def same_code(typed: str, code: str) -> bool:
    """True when `typed` (as typed or scanned) is `code`."""
    folded = normalize_code(typed)
    return bool(folded) and hmac.compare_digest(folded, code.replace("-", ""))
