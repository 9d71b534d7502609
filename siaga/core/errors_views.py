"""Error pages and JSON errors: bad input is a 400/422 with a reason, never a 500."""

from __future__ import annotations

from flask import Flask, jsonify, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from siaga.core.auth import is_api_request
from siaga.core.errors import Conflict, NotAllowed, ValidationFailed


def _json(status: int, **body: object) -> Response:
    resp = jsonify(body)
    resp.status_code = status
    return resp


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(ValidationFailed)
    def _validation(exc: ValidationFailed) -> Response | tuple[str, int]:
        if is_api_request():
            return _json(422, error="validation failed", fields=exc.errors)
        return render_template("errors/error.html", code=422, message=str(exc)), 422

    @app.errorhandler(Conflict)
    def _conflict(exc: Conflict) -> Response | tuple[str, int]:
        if is_api_request():
            fields = {exc.field: str(exc)} if exc.field else {}
            return _json(409, error="conflict", message=str(exc), fields=fields)
        return render_template("errors/error.html", code=409, message=str(exc)), 409

    @app.errorhandler(NotAllowed)
    def _not_allowed(exc: NotAllowed) -> Response | tuple[str, int]:
        if is_api_request():
            return _json(403, error="forbidden", message=str(exc))
        return render_template(
            "errors/error.html", code=403, message=_("You may not change this record.")
        ), 403

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Response | tuple[str, int]:
        msg = _("The form expired or was sent from elsewhere. Reload the page and try again.")
        if is_api_request():
            return _json(400, error="csrf", message=exc.description)
        return render_template("errors/error.html", code=400, message=msg), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response | tuple[str, int]:
        code = exc.code or 500
        if is_api_request():
            return _json(code, error=exc.name.lower(), message=exc.description)
        return render_template("errors/error.html", code=code, message=exc.description), code
