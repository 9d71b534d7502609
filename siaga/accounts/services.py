"""Account services: users, passwords, throttled login, API tokens. They flush, never commit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from siaga.accounts.models import ApiToken, LoginAttempt, Organisation, OrgType, Role, User
from siaga.core.context import Actor, acting_as, current_actor
from siaga.core.errors import ValidationFailed
from siaga.db import utcnow
from siaga.extensions import db

TOKEN_PREFIX = "sgb_"  # noqa: S105 - a public prefix, not a secret
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """scrypt with Werkzeug's strong defaults; tests configure cheaper parameters."""
    from flask import current_app

    return generate_password_hash(password, method=current_app.config.get("SIAGA_PASSWORD_METHOD", "scrypt"))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def get_or_create_organisation(
    name: str, org_type: OrgType | str, region_code: str | None = None
) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, type=OrgType(org_type), region_code=region_code)
        db.session.add(org)
        db.session.flush()
    return org


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: Role | str,
    organisation: Organisation,
    phone: str | None = None,
) -> User:
    """Create a user; raise :class:`ValidationFailed` with field errors on bad input."""
    errors: dict[str, str] = {}
    email_n = normalise_email(email)
    if "@" not in email_n or email_n.startswith("@") or email_n.endswith("@"):
        errors["email"] = "not a valid e-mail address"
    elif get_user_by_email(email_n) is not None:
        errors["email"] = "a user with this e-mail already exists"
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"must be at least {MIN_PASSWORD_LENGTH} characters"
    try:
        role_v = Role(role)
    except ValueError:
        errors["role"] = f"must be one of {', '.join(r.value for r in Role)}"
    if not name.strip():
        errors["name"] = "is required"
    if errors:
        raise ValidationFailed(errors)
    user = User(
        email=email_n,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role_v,
        organisation=organisation,
        phone=phone,
    )
    db.session.add(user)
    db.session.flush()
    return user


class LoginThrottled(Exception):
    def __init__(self, minutes: int) -> None:
        super().__init__(f"too many failed logins; try again in {minutes} minutes")
        self.minutes = minutes


def recent_failures(email: str, ip: str, window: timedelta) -> int:
    since = utcnow() - window
    return (
        db.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.email == normalise_email(email),
                LoginAttempt.ip == ip,
                LoginAttempt.is_success.is_(False),
                LoginAttempt.at >= since,
            )
        )
        or 0
    )


def authenticate(email: str, password: str, ip: str, *, max_failures: int, window: timedelta) -> User | None:
    """Check a password with throttling per (account, address).

    Raises :class:`LoginThrottled` when too many failures happened in ``window``; the
    attempt is not even checked then, so guessing gains nothing.
    """
    email_n = normalise_email(email)
    if recent_failures(email_n, ip, window) >= max_failures:
        raise LoginThrottled(int(window.total_seconds() // 60))
    user = get_user_by_email(email_n)
    ok = bool(user and user.is_active and check_password_hash(user.password_hash, password))
    db.session.add(LoginAttempt(email=email_n, ip=ip, is_success=ok))
    if ok and user is not None:
        # the audit row of this change names the user logging in, not "anonymous"
        with acting_as(Actor(user_id=user.id, label=user.email, via=current_actor().via)):
            user.last_login_at = utcnow()
            db.session.flush()
        return user
    db.session.flush()
    return None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, name: str = "default") -> tuple[ApiToken, str]:
    """Create a token; the plain value is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name.strip() or "default", prefix=plain[:10], token_hash=_hash_token(plain)
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


#: ``ApiToken.last_used_at`` is written at most this often per token (seconds): it tells an
#: admin which tokens are in use, and writing it on every call would cost each API request a
#: second transaction.
TOKEN_TOUCH_SECONDS = 60


def user_for_token(plain: str) -> tuple[User | None, bool]:
    """(the token's user, whether ``last_used_at`` was updated and needs a commit).

    One query loads the token with its user; revoked tokens and inactive users give None.
    """
    if not plain.startswith(TOKEN_PREFIX):
        return None, False
    token = db.session.scalar(
        select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == _hash_token(plain))
    )
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None, False
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= timedelta(seconds=TOKEN_TOUCH_SECONDS):
        token.last_used_at = now
        return token.user, True
    return token.user, False


def revoke_api_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()
