"""Guards on raw input that would otherwise reach the database as a 500.

* URL ids larger than a 32-bit integer (PostgreSQL ``integer``) are not routes at all (404).
* NUL bytes (``\\x00``), which PostgreSQL text cannot hold, are refused (422 on the API, 400 on
  pages) wherever they appear: path, query, form or JSON body.
"""

from __future__ import annotations

from flask import Flask, abort, jsonify, render_template, request
from werkzeug.wrappers import Response

MAX_ID = 2**31 - 1


def reject_huge_ids() -> None:
    """A URL id beyond a 32-bit integer names nothing: 404 (a bounded converter would give 405)."""
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not -MAX_ID <= value <= MAX_ID:
            abort(404)


def _has_nul() -> str | None:
    if "\x00" in request.path:
        return "path"
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", "") or "query"
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                return key.replace("\x00", "") or "form"
    elif request.content_length:
        raw = request.get_data(cache=True)
        if b"\x00" in raw or b"\\u0000" in raw.lower():
            return "body"
    return None


def reject_nul_bytes() -> Response | tuple[str, int] | None:
    field = _has_nul()
    if field is None:
        return None
    reason = "must not contain NUL characters"
    if request.path.startswith("/api/"):
        resp = jsonify(error="validation failed", fields={field: reason})
        resp.status_code = 422
        return resp
    return render_template("errors/error.html", code=400, message=f"{field}: {reason}"), 400


def init_input_guards(app: Flask) -> None:
    funcs = app.before_request_funcs.setdefault(None, [])
    funcs.insert(0, reject_huge_ids)
    funcs.insert(0, reject_nul_bytes)
