"""Fitting message text into each channel's length limit without losing the link.

An alert's link (to its page with the map and instructions) matters more than the
last words of its text, so every helper here shortens the *text* and keeps the
link whole, on its own line at the end.

* Telegram: at most 4,096 characters; counted here in UTF-16 code units (what
  Telegram counts; an emoji is 2), which is never less than the visible count.
* SMS: GSM 03.38 7-bit text carries 160 characters in one message and 153 per part
  of a concatenated message (characters of the extension table such as ``€[]{}~^|\\``
  cost 2); any other character (Indonesian text is GSM, but emoji or curly quotes are
  not) switches the whole message to UCS-2: 70 in one, 67 per part.
"""

from __future__ import annotations

from collections.abc import Callable

TELEGRAM_MAX = 4096
SMS_GSM_SINGLE = 160
SMS_GSM_PART = 153
SMS_UCS2_SINGLE = 70
SMS_UCS2_PART = 67

#: GSM 03.38 basic character set (cost 1).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: GSM 03.38 extension table (escape + char: cost 2).
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

Length = Callable[[str], int]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (characters outside the BMP, e.g. emoji, count 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the GSM 7-bit alphabet."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def gsm7_len(text: str) -> int:
    """Septets ``text`` needs in GSM 7-bit encoding (extension characters cost 2)."""
    return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)


def sms_length_fn(text: str) -> tuple[Length, int, int]:
    """``(length function, single-message limit, per-part limit)`` for the encoding ``text`` needs."""
    if is_gsm7(text):
        return gsm7_len, SMS_GSM_SINGLE, SMS_GSM_PART
    return utf16_len, SMS_UCS2_SINGLE, SMS_UCS2_PART


def compose(text: str, link: str | None = None) -> str:
    """``text`` and ``link`` on its own last line; the link is not repeated if ``text`` ends with it."""
    text = text.rstrip()
    if not link:
        return text
    if text.endswith(link):
        text = text[: -len(link)].rstrip()
    return f"{text}\n{link}" if text else link


def _prefix_fitting(text: str, limit: int, length: Length) -> int:
    """The largest ``n`` with ``length(text[:n]) <= limit``."""
    total = 0
    for i, ch in enumerate(text):
        total += length(ch)
        if total > limit:
            return i
    return len(text)


def _cut_at_word(text: str, n: int) -> int:
    """Move a cut at ``n`` back to just after the last whitespace, if one is in the second half."""
    if n >= len(text) or n == 0 or text[n].isspace() or text[n - 1].isspace():
        return n
    space = max(text.rfind(" ", 0, n), text.rfind("\n", 0, n))
    if space >= n // 2:
        return space + 1
    return n


def truncate_keeping_link(
    text: str,
    limit: int,
    link: str | None = None,
    *,
    ellipsis: str = "…",
    length: Length = len,
) -> str:
    """``compose(text, link)`` shortened to ``limit`` (by ``length``), link kept whole.

    The text is cut at a word boundary where one is near and marked with ``ellipsis``.
    Only if the link alone does not fit is it treated as text and cut too.
    """
    full = compose(text, link)
    if length(full) <= limit:
        return full
    text = compose(text, None) if not link else full[: -len(link)].rstrip()
    tail = f"\n{link}" if link else ""
    budget = limit - length(tail) - length(ellipsis)
    if link and budget < 1:
        # The link cannot be kept whole (absurdly long); cut everything as plain text.
        return truncate_keeping_link(full, limit, None, ellipsis=ellipsis, length=length)
    if budget < 0:
        return full[: _prefix_fitting(full, limit, length)]
    n = _cut_at_word(text, _prefix_fitting(text, budget, length))
    kept = text[:n].rstrip()
    if not kept:
        return link or ""
    return f"{kept}{ellipsis}{tail}"


def truncate_telegram(text: str, link: str | None = None, limit: int = TELEGRAM_MAX) -> str:
    """Text and link fitting one Telegram message (4,096 UTF-16 units)."""
    return truncate_keeping_link(text, limit, link, length=utf16_len)


def _split(body: str, tail: str, length: Length, single: int, part: int) -> list[str]:
    if length(body + tail) <= single:
        return [body + tail]
    parts: list[str] = []
    rest = body
    while length(rest + tail) > part:
        n = _cut_at_word(rest, _prefix_fitting(rest, part, length))
        n = max(n, 1)  # always progress (a part holds at least one character)
        parts.append(rest[:n])
        rest = rest[n:]
    parts.append(rest + tail)
    return parts


def split_sms(text: str, link: str | None = None, max_parts: int | None = None) -> list[str]:
    """``compose(text, link)`` as SMS parts: one of up to 160 (GSM) / 70 (UCS-2) characters,
    or several of up to 153 / 67, cut at word boundaries, the link whole in the last part.

    Joining the parts gives back the composed message (spaces stay at the end of the
    part before a cut). With ``max_parts``, text that would need more parts is shortened
    (ending ``...``, which is GSM-safe) so it fits, still keeping the link.
    """
    full = compose(text, link)
    length, single, part = sms_length_fn(full)
    body, tail = (full[: -len(link)], link) if link else (full, "")
    if tail and length(tail) > part:  # a link longer than a part cannot stay whole
        body, tail = full, ""
    parts = _split(body, tail, length, single, part)
    if max_parts is None or len(parts) <= max_parts:
        return parts
    if max_parts < 1:
        raise ValueError("max_parts must be at least 1")
    # Binary-search the longest shortened text that fits in max_parts parts.
    plain = body[:-1] if tail and body.endswith("\n") else body
    best = _split("", tail, length, single, part) if tail else [""]
    lo, hi = 0, len(plain)
    while lo <= hi:
        mid = (lo + hi) // 2
        kept = plain[: _cut_at_word(plain, mid)].rstrip()
        candidate_body = f"{kept}...\n" if tail else f"{kept}..."
        if not kept:
            candidate_body = ""
        candidate = _split(candidate_body, tail, length, single, part)
        if len(candidate) <= max_parts:
            best = candidate
            lo = mid + 1
        else:
            hi = mid - 1
    return best


def shorten_sms(text: str, link: str | None = None) -> str:
    """One SMS (160 GSM / 70 UCS-2 characters) with the link kept whole."""
    return split_sms(text, link, max_parts=1)[0]


def sms_parts_needed(text: str) -> int:
    """How many SMS ``text`` costs as sent (for estimates and logs)."""
    length, single, part = sms_length_fn(text)
    n = length(text)
    return 1 if n <= single else -(-n // part)
