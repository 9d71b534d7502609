"""Errors services raise for bad input, and how views answer them."""

from __future__ import annotations


class ValidationFailed(ValueError):
    """Bad input: a mapping of field name to a human-readable reason."""

    def __init__(self, errors: dict[str, str], message: str | None = None) -> None:
        self.errors = errors
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in errors.items()))


class NotAllowed(PermissionError):
    """The user's role or organisation does not allow this action."""


class Conflict(ValueError):
    """The request is valid but clashes with the current state (e.g. over capacity)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
