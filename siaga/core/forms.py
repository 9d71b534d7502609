"""Form helpers shared by the domains."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Build select choices (WTForms 3.3 deprecates plain tuples)."""
    return [SelectChoice(value, str(label)) for value, label in pairs]
