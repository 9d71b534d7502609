"""Input validation with pydantic, and its errors as ``{field: reason}`` in the user's language.

One validation path for web forms, the JSON API and CSV imports: each builds a dict and
calls :func:`validate`; errors come back as :class:`~siaga.core.errors.ValidationFailed`.
JSON API views take their input with :func:`json_body`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from siaga.core.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)


def _message(err: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing" or (kind.endswith("_type") and err.get("input") is None):
        return _("is required")
    if kind.startswith("int_"):  # int_parsing, int_type, int_from_float, int_parsing_size
        return _("must be a whole number")
    if kind in ("float_parsing", "float_type", "finite_number"):
        return _("must be a number")
    if kind in ("bool_parsing", "bool_type"):
        return _("must be yes or no")
    if kind == "greater_than_equal":
        return _("must be at least %(limit)s", limit=ctx.get("ge"))
    if kind == "less_than_equal":
        return _("must be at most %(limit)s", limit=ctx.get("le"))
    if kind == "greater_than":
        return _("must be more than %(limit)s", limit=ctx.get("gt"))
    if kind == "string_too_long":
        return _("must be at most %(limit)s characters", limit=ctx.get("max_length"))
    if kind == "string_too_short":
        return _("is required") if ctx.get("min_length") == 1 else _("is too short")
    if kind in ("enum", "literal_error"):
        choices = str(ctx.get("expected", "")).replace(" or ", ", ")
        return _("must be one of: %(choices)s", choices=choices)
    if kind == "too_short":
        return _("needs at least %(n)s", n=ctx.get("min_length", 1))
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("must be a list")
    if kind.startswith(("datetime_", "date_")) or kind in ("datetime_type", "date_type"):
        return _("must be a date and time, e.g. 2026-11-20 10:15")
    if kind in ("string_type",):
        return _("must be text")
    if kind == "extra_forbidden":
        return _("is not a known field")
    if kind == "value_error":
        # our validators raise ValueError(lazy_gettext(...)): str() translates it now
        return str(ctx.get("error", err.get("msg", "")))
    return str(err.get("msg", kind))


def errors_from(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "_"
        out.setdefault(loc, _message(err))
    return out


def validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(errors_from(exc)) from None


def json_body() -> dict[str, Any]:
    """The request's JSON object; ValidationFailed when the body is not one (missing, invalid, a list)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed({"_": _("the body must be a JSON object")})
    return data
