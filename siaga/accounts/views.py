"""Login, logout, API tokens and user administration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user, user_loaded_from_request
from sqlalchemy import select
from werkzeug.wrappers import Response

from siaga.accounts import services
from siaga.accounts.forms import LoginForm, TokenForm, UserForm
from siaga.accounts.models import ApiToken, Organisation, Role, User
from siaga.core.auth import ALL_ROLES, public, roles_required
from siaga.core.errors import ValidationFailed
from siaga.core.forms import choices
from siaga.extensions import db

bp = Blueprint("accounts", __name__)


class _NoCookieForTokens(SecureCookieSessionInterface):
    """Requests authenticated by a bearer token get no session cookie (Flask-Login's documented pattern)."""

    def save_session(self, *args: Any, **kwargs: Any) -> None:
        if g.get("login_via_token"):
            return None
        return super().save_session(*args, **kwargs)


def init_login(app: Flask, login_manager: LoginManager) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"
    app.session_interface = _NoCookieForTokens()

    @user_loaded_from_request.connect_via(app)
    def _mark_token_login(_sender: Any, user: Any = None) -> None:
        g.login_via_token = True

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id))
        return user if user and user.is_active else None

    @login_manager.request_loader
    def _from_bearer(req: Any) -> User | None:
        header = req.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        user, touched = services.user_for_token(header[7:].strip())
        if touched:
            db.session.commit()  # last_used_at, at most once a minute per token
        return user


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("core.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        window = timedelta(minutes=current_app.config["SIAGA_LOGIN_WINDOW_MINUTES"])
        try:
            user = services.authenticate(
                form.email.data or "",
                form.password.data or "",
                _client_ip(),
                max_failures=current_app.config["SIAGA_LOGIN_MAX_FAILURES"],
                window=window,
            )
        except services.LoginThrottled as exc:
            db.session.rollback()
            form.email.errors = [
                _("Too many failed logins. Try again in %(minutes)d minutes.", minutes=exc.minutes)
            ]
            return render_template("accounts/login.html", form=form), 429
        db.session.commit()
        if user is not None:
            login_user(user)
            session_lang = user.locale
            if session_lang:
                from flask import session

                session["lang"] = session_lang
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors = [_("Wrong e-mail or password.")]
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@roles_required(ALL_ROLES)
def logout() -> Response:
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@roles_required(ALL_ROLES)
def tokens() -> str:
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        _token, new_token = services.create_api_token(current_user, form.name.data or "default")
        db.session.commit()
    items = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
    ).all()
    return render_template("accounts/tokens.html", form=form, tokens=items, new_token=new_token)


@bp.post("/account/tokens/<int:token_id>/revoke")
@roles_required(ALL_ROLES)
def revoke_token(token_id: int) -> Response:
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != current_user.id and current_user.role != Role.ADMIN):
        abort(404)
    services.revoke_api_token(token)
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("accounts.tokens"))


@bp.route("/admin/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_list() -> str | tuple[str, int]:
    form = UserForm()
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    form.organisation_id.choices = choices((o.id, f"{o.name} ({o.type.value})") for o in orgs)
    status = 200
    if form.validate_on_submit():
        org = db.session.get(Organisation, form.organisation_id.data)
        try:
            if org is None:
                raise ValidationFailed({"organisation_id": _("Unknown organisation.")})
            services.create_user(
                email=form.email.data or "",
                name=form.name.data or "",
                password=form.password.data or "",
                role=form.role.data or "",
                organisation=org,
                phone=form.phone.data or None,
            )
            db.session.commit()
            flash(_("User created."), "success")
            form = UserForm(formdata=None)
            form.organisation_id.choices = choices((o.id, f"{o.name} ({o.type.value})") for o in orgs)
        except ValidationFailed as exc:
            db.session.rollback()
            for field, reason in exc.errors.items():
                getattr(form, field).errors = [reason]
            status = 422
    elif request.method == "POST":
        status = 422
    users = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("accounts/users.html", form=form, users=users), status
