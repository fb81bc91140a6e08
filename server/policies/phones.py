"""Phone numbers as stored: digits only, mainland mobiles as 11 digits, landlines with area code.

One normal form for every source (the policy system, intake files, the console) so that R5's
shared-phone check is an indexed equality.
"""

from __future__ import annotations

import re

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


def normalise_phone(raw: str | None) -> str | None:
    """Digits only; +86 / 0086 / 86 before a mobile dropped; full-width digits understood."""
    if raw is None:
        return None
    digits = "".join(str(int(ch)) for ch in str(raw) if ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and MOBILE.match(digits[len(prefix) :]):
            digits = digits[len(prefix) :]
    return digits or None


def is_valid_phone(digits: str) -> bool:
    return bool(MOBILE.match(digits) or LANDLINE.match(digits))
