"""Whole numbers and ids from query strings and form fields, without a 500 on junk.

``str.isdigit()`` is the wrong test before ``int()``: it is true for "²" (which ``int()``
refuses with ValueError) and for other scripts' digits such as "٣" (which ``int()`` quietly
accepts), and a digit string of any length passes although the database cannot hold it (an
id beyond a 32-bit integer raises OverflowError on SQLite and an error on PostgreSQL).

These helpers accept ASCII decimal digits only (an optional leading minus, surrounding spaces),
within the caller's bounds; anything else is ``None``, or the caller's default. Pages fall back
to the default or report a field error; the JSON API raises ``ValidationFailed`` (422).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import request

from siaga.core.http_input import MAX_ID

#: ASCII digits only (``\\d`` would match every script's digits); 18 digits fit any 64-bit bound.
_WHOLE = re.compile(r"-?[0-9]{1,18}")
#: A Kemendagri code or a prefix of one (``16``, ``16.06``, ``16.06.01``), ASCII digits only.
_REGION = re.compile(r"[0-9]{1,4}(?:\.[0-9]{1,4}){0,3}")


def parse_int(raw: object, lo: int, hi: int) -> int | None:
    """``raw`` as a whole number from ``lo`` to ``hi``; None when it is anything else."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not _WHOLE.fullmatch(text):
        return None
    value = int(text)
    return value if lo <= value <= hi else None


def parse_id(raw: object) -> int | None:
    """A database id (1 to the largest 32-bit integer); None for blanks, junk and out-of-range values."""
    return parse_int(raw, 1, MAX_ID)


def parse_ids(values: Iterable[object]) -> list[int]:
    """The valid ids among ``values`` (e.g. ``request.form.getlist``), once each, in order."""
    return list(dict.fromkeys(i for i in map(parse_id, values) if i is not None))


def int_arg(name: str, default: int, *, lo: int, hi: int) -> int:
    """Query argument ``name`` as a whole number from ``lo`` to ``hi``, else ``default``."""
    value = parse_int(request.args.get(name), lo, hi)
    return default if value is None else value


def parse_region(raw: object) -> str | None:
    """``raw`` when it looks like a Kemendagri region code or prefix (ASCII digits), else None."""
    if not isinstance(raw, str) or len(raw) > 13 or not _REGION.fullmatch(raw):
        return None
    return raw
