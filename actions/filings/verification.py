"""Verification codes of published notices: an HMAC of the notice's content with the app's secret.

The code is printed on the notice's page and its PDF, next to a QR code of the notice's public page with the
code (`/notices/<number>?code=<code>`); the page recomputes the code from the notice as published and says
whether the two agree. A forged PDF (another company, another license number, a made-up notice) does not
verify: nobody without the secret can make the code of a content. Changing the secret (LINGLING_SECRET_KEY)
changes every code, so printed notices would no longer verify; keep it as long as notices are valid.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from actions.filings.types import NoticeView

# Crockford's base32: no I, L, O, U (nothing to confuse when typed from paper).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 16  # 80 bits, shown as four groups of four
_PURPOSE = b"lingling/notice-verification/v1"
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_CODE_SHAPE = re.compile(rf"^[{ALPHABET}]{{{CODE_CHARS}}}$")


def _key(secret: str) -> bytes:
    """A key for this purpose only, derived from the app's secret."""
    return hmac.new(secret.encode("utf-8"), _PURPOSE, hashlib.sha256).digest()


def notice_content(n: NoticeView) -> bytes:
    """The published content the code vouches for, one field per line (in a fixed order)."""
    fields = (n.number, n.company_name, n.uscc, n.license_type, n.license_number, n.lost_date.isoformat(),
              n.published_on.isoformat(), n.lost_copy.value if n.lost_copy else "")
    return "\n".join(fields).encode("utf-8")


def notice_code(n: NoticeView, secret: str) -> str:
    """The notice's verification code, e.g. `7K3Q-M9XD-2TPA-HV4C`."""
    digest = hmac.new(_key(secret), notice_content(n), hashlib.sha256).digest()
    value = int.from_bytes(digest[:10], "big")  # 80 bits
    chars = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(CODE_CHARS)))
    return "-".join(chars[i:i + 4] for i in range(0, CODE_CHARS, 4))


def normalize_code(text: str) -> str:
    """A code as typed or scanned: any case, spaces and hyphens (full-width too), O for 0, I/L for 1 forgiven.
    '' when it cannot be a code."""
    folded = re.sub(r"[\s\-－—_]", "", text or "").upper().translate(_TYPED)
    return folded if _CODE_SHAPE.match(folded) else ""


def code_matches(n: NoticeView, code: str, secret: str) -> bool:
    """True when `code` (as typed or scanned) is the verification code of the notice as published."""
    typed = normalize_code(code)
    return bool(typed) and hmac.compare_digest(typed, notice_code(n, secret).replace("-", ""))


def verify_url(page_url: str, code: str) -> str:
    """The address a notice's QR code holds: its public page with the code to check."""
    return f"{page_url}?code={code}"
