"""Bahasa Indonesia first, English second: the locale per user, session or cookie."""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_babel import Babel
from flask_login import current_user


def select_locale() -> str:
    from flask import current_app

    languages: list[str] = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and Celery tasks: the default language
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return str(current_user.locale)
    lang = session.get("lang") or request.args.get("lang")
    if lang in languages:
        return str(lang)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def init_i18n(app: Flask, babel: Babel) -> None:
    babel.init_app(app, locale_selector=select_locale)
