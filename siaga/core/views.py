"""Dashboard, language switch and /healthz."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from siaga.core.auth import ALL_ROLES, public, roles_required
from siaga.core.services import check_broker, check_database, check_worker
from siaga.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
@public
def index() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    return redirect(url_for("accounts.login"))


@bp.get("/dashboard")
@roles_required(ALL_ROLES)
def dashboard() -> str:
    return render_template("core/dashboard.html", health=check_worker())


@bp.post("/lang/<code>")
@public
def set_language(code: str) -> Response:
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    target = request.form.get("next") or request.referrer or url_for("core.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("core.index")
    return redirect(target)


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    database = check_database()
    broker = check_broker()
    worker = check_worker() if database["ok"] else {"ok": False}
    ok = database["ok"] and broker["ok"]
    feeds: list[dict[str, object]] = []
    if database["ok"]:
        from siaga.hazards.polling import health as feed_health

        feeds = [
            {
                k: f[k]
                for k in (
                    "feed",
                    "ok",
                    "last_success_at",
                    "consecutive_failures",
                    "last_new_item_at",
                    "last_error_at",
                )
            }
            for f in feed_health()
        ]
    body = {
        "status": "ok" if ok and worker["ok"] else ("degraded" if ok else "down"),
        "version": current_app.config["SIAGA_VERSION"],
        "database": database,
        "broker": broker,
        "worker": worker,
        "feeds": feeds,
    }
    return jsonify(body), 200 if ok else 503
