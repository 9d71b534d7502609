"""Indonesian mobile numbers (MSISDN) in the ``628…`` form gateways expect.

People write the same number many ways: ``0812-3456-789``, ``+62 812 3456 789``,
``62.812.3456.789``, ``(0812) 3456789``, ``+62 (0)812…``, ``0062 812…``. This module
accepts those (and ``(+62) 812…``) and answers the one form WhatsApp and SMS gateways take.

What counts as an Indonesian mobile number: country code 62, then ``8`` and a
non-zero digit (operator prefixes 811…899), then the rest of the subscriber
number, 9 to 12 digits after ``62`` in total (``0811-234-567`` is the
shortest still in use, 13-digit national numbers the longest). Landlines
(``021…``, ``+62 21…``) and other countries are refused. Operator prefixes are
deliberately not enumerated: new blocks are opened from time to time.
"""

from __future__ import annotations

import re

_ALLOWED = re.compile(r"^\(?\+?[0-9\s().\-]+$")
_MOBILE = re.compile(r"^628[1-9][0-9]{7,10}$")
_EXAMPLE = "e.g. 0812-3456-789 or +62 812 3456 789"


def normalize_msisdn(raw: str) -> str:
    """``raw`` as ``628…`` digits; ``ValueError`` saying why if it is not an Indonesian mobile.

    >>> normalize_msisdn("0812-3456-789")
    '628123456789'
    >>> normalize_msisdn("+62 (0)812 3456 789")
    '628123456789'
    """
    if not isinstance(raw, str):
        raise ValueError(f"phone number must be text, got {type(raw).__name__}")
    text = raw.strip()
    if not text:
        raise ValueError("phone number is empty")
    if not _ALLOWED.match(text):
        raise ValueError(
            f"{raw!r} is not a phone number: only digits, a leading +, spaces, dashes, dots "
            f"and parentheses are allowed ({_EXAMPLE})"
        )
    # "+62 (0)812…" writes the national trunk 0 in parentheses; drop it before the rest.
    text = re.sub(r"^(\+?\s*62)\s*\(0\)", r"\1", text)
    international = text.lstrip("( ").startswith("+")  # "+62 …" or "(+62) …"
    digits = re.sub(r"[^0-9]", "", text)

    if international:
        if not digits.startswith("62"):
            raise ValueError(f"{raw!r} is not an Indonesian number: it must start with +62 ({_EXAMPLE})")
    elif digits.startswith("0062"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    elif not digits.startswith("62"):
        raise ValueError(f"{raw!r} is not an Indonesian mobile number ({_EXAMPLE})")

    if digits.startswith("620"):  # "+62 0812…": a trunk 0 after the country code
        digits = "62" + digits[3:]
    if not digits.startswith("628"):
        raise ValueError(
            f"{raw!r} is not an Indonesian mobile number: mobile numbers start with 08 or +62 8 "
            f"(landlines cannot receive WhatsApp or SMS) ({_EXAMPLE})"
        )
    if not _MOBILE.match(digits):
        local = len(digits) - 2
        raise ValueError(
            f"{raw!r} is not an Indonesian mobile number: it has {local} digits after the country "
            f"code, expected 9 to 12 starting 81-89 ({_EXAMPLE})"
        )
    return digits


def is_msisdn(raw: str) -> bool:
    """True when :func:`normalize_msisdn` accepts ``raw``."""
    try:
        normalize_msisdn(raw)
    except ValueError:
        return False
    return True
