"""Template filters and globals: local times, freshness, navigation by role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from siaga.core.labels import label
from siaga.core.time import age_seconds, format_local


def time_ago(value: datetime | None) -> str:
    """ "3 jam lalu" / "3 hours ago"."""
    secs = age_seconds(value)
    if secs is None:
        return _("never")
    secs = max(secs, 0)
    if secs < 60:
        return _("just now")
    minutes = int(secs // 60)
    if minutes < 60:
        return ngettext("%(num)d minute ago", "%(num)d minutes ago", minutes)
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(num)d hour ago", "%(num)d hours ago", hours)
    return ngettext("%(num)d day ago", "%(num)d days ago", hours // 24)


def is_stale(value: datetime | None) -> bool:
    secs = age_seconds(value)
    return secs is None or secs > current_app.config["SIAGA_STALE_HOURS"] * 3600


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = format_local
    app.jinja_env.filters["ago"] = time_ago
    app.jinja_env.tests["stale"] = is_stale
    app.jinja_env.globals["label"] = label

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from siaga.core.nav import nav_for_current_user

        return {
            "nav_items": nav_for_current_user(),
            "current_locale": str(get_locale() or "id"),
            "siaga_version": app.config["SIAGA_VERSION"],
        }
