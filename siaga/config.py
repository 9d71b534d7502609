"""Configuration classes, read from ``SIAGA_*`` environment variables.

The embedded default needs no server: SQLite under ``instance/`` for the data and
kombu's SQLAlchemy transport on another SQLite file as the Celery broker. Production
sets ``SIAGA_DATABASE_URL`` (PostgreSQL) and ``SIAGA_BROKER_URL`` (Redis).

Every variable read here is documented in README.md (a test checks that).
"""

from __future__ import annotations

import math
import os
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"

#: Secret key used only by development and tests; production refuses to start with it.
INSECURE_DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run safely (e.g. production without a secret)."""


_N = TypeVar("_N", int, float)


def env(name: str, default: str | None = None) -> str | None:
    """Read ``SIAGA_<name>`` from the environment."""
    value = os.environ.get(f"SIAGA_{name}")
    return value if value not in (None, "") else default


def _within(name: str, value: _N, raw: str, lo: _N | None, hi: _N | None) -> _N:
    """``value`` when within [lo, hi] (each bound optional), else a ConfigError naming it."""
    if lo is not None and value < lo:
        raise ConfigError(f"SIAGA_{name} must be at least {_bound(lo)}, got {raw!r}")
    if hi is not None and value > hi:
        raise ConfigError(f"SIAGA_{name} must be at most {_bound(hi)}, got {raw!r}")
    return value


def _bound(bound: float) -> str:
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


def env_int(name: str, default: int, lo: int | None = None, hi: int | None = None) -> int:
    """SIAGA_<name> as a whole number within [lo, hi] when given, else ``default``."""
    raw = env(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"SIAGA_{name} must be a whole number, got {raw!r}") from exc
    return _within(name, value, raw, lo, hi)


def env_float(name: str, default: float, lo: float | None = None, hi: float | None = None) -> float:
    """SIAGA_<name> as a finite number within [lo, hi] when given, else ``default``."""
    raw = env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"SIAGA_{name} must be a number, got {raw!r}") from exc
    if not math.isfinite(value):
        raise ConfigError(f"SIAGA_{name} must be a number, got {raw!r}")
    return _within(name, value, raw, lo, hi)


def env_bool(name: str, default: bool) -> bool:
    raw = env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


#: Channel settings read from SIAGA_<KEY> (see siaga/messaging/channels/__init__.py).
CHANNEL_KEYS = (
    "WHATSAPP_URL",
    "WHATSAPP_TOKEN",
    "WHATSAPP_COUNTRY_CODE",
    "TELEGRAM_API_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_RATE_PER_CHAT",
    "TELEGRAM_RATE_GLOBAL",
    "SMS_URL",
    "SMS_USERKEY",
    "SMS_PASSKEY",
    "SMS_MODE",
    "SMS_MAX_PARTS",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_SECURITY",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "SMTP_TIMEOUT",
    "MAIL_FROM",
    "WEBHOOK_SECRET",
    "WEBHOOK_ALLOW_PRIVATE",
    "HTTP_CONNECT_TIMEOUT",
    "HTTP_READ_TIMEOUT",
)


def channel_settings() -> dict[str, str]:
    """The messaging channels' settings from the environment (secrets stay out of logs)."""
    return {key: value for key in CHANNEL_KEYS if (value := env(key)) is not None}


def instance_path() -> Path:
    return Path(env("INSTANCE_PATH", str(DEFAULT_INSTANCE)) or DEFAULT_INSTANCE)


def build_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the Flask config mapping for the current environment."""
    siaga_env = (env("ENV", "development") or "development").lower()
    inst = instance_path()
    db_default = f"sqlite:///{inst / 'siaga.sqlite'}"
    broker_default = f"sqla+sqlite:///{inst / 'celery-broker.sqlite'}"
    secret = env("SECRET_KEY")
    is_production = siaga_env == "production"
    if is_production and (not secret or secret == INSECURE_DEV_SECRET or len(secret) < 16):
        raise ConfigError(
            "SIAGA_ENV=production needs its own SIAGA_SECRET_KEY (at least 16 characters); refusing to start."
        )
    cfg: dict[str, Any] = {
        "SIAGA_ENV": siaga_env,
        "SECRET_KEY": secret or INSECURE_DEV_SECRET,
        "SQLALCHEMY_DATABASE_URI": env("DATABASE_URL", db_default),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "CELERY": {
            "broker_url": env("BROKER_URL", broker_default),
            "task_ignore_result": True,
            "task_serializer": "json",
            "accept_content": ["json"],
            "timezone": "UTC",
            "enable_utc": True,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "task_default_queue": "default",
            "beat_schedule_filename": str(inst / "celerybeat-schedule"),
            "task_always_eager": False,
        },
        "SIAGA_HEARTBEAT_SECONDS": env_int("HEARTBEAT_SECONDS", 30),
        "SIAGA_SWEEP_SECONDS": env_int("SWEEP_SECONDS", 60),
        "SIAGA_SENDING_TIMEOUT_SECONDS": env_int("SENDING_TIMEOUT_SECONDS", 300),
        "SIAGA_CHANNEL_SETTINGS": channel_settings(),
        "SIAGA_BMKG_TEWS_URL": env("BMKG_TEWS_URL", "https://data.bmkg.go.id/DataMKG/TEWS/"),
        "SIAGA_INATEWS_URL": env("INATEWS_URL", "https://bmkg-content-inatews.storage.googleapis.com/"),
        "SIAGA_NOWCAST_URL": env("NOWCAST_URL", "https://www.bmkg.go.id/alerts/nowcast/id"),
        "SIAGA_POLL_AUTOGEMPA_SECONDS": env_int("POLL_AUTOGEMPA_SECONDS", 60, lo=1, hi=86400),
        "SIAGA_POLL_INATEWS_SECONDS": env_int("POLL_INATEWS_SECONDS", 60, lo=1, hi=86400),
        "SIAGA_POLL_LISTS_SECONDS": env_int("POLL_LISTS_SECONDS", 300, lo=1, hi=86400),
        "SIAGA_POLL_NOWCAST_SECONDS": env_int("POLL_NOWCAST_SECONDS", 300, lo=1, hi=86400),
        "SIAGA_FEED_FAILURES_NOTICE": env_int("FEED_FAILURES_NOTICE", 5, lo=1),
        "SIAGA_FEED_SILENT_MINUTES": env_int("FEED_SILENT_MINUTES", 30, lo=1),
        "SIAGA_POLL_FEEDS": env_bool("POLL_FEEDS", True),
        "SIAGA_AID_TRANSPARENCY": env_bool("AID_TRANSPARENCY", True),
        "SIAGA_AOR_REGIONS": env("AOR_REGIONS", "16.06,16.71,13.02"),
        "SIAGA_MMI_THRESHOLD": env_float("MMI_THRESHOLD", 5.0, lo=1.0, hi=12.0),
        "SIAGA_MAP_HAZARD_DAYS": env_int("MAP_HAZARD_DAYS", 7),
        "SIAGA_STALE_HOURS": env_int("STALE_HOURS", 6),
        "SIAGA_BASE_URL": env("BASE_URL", "http://127.0.0.1:5000"),
        "SIAGA_TILE_URL": env("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        "SIAGA_LOGIN_MAX_FAILURES": env_int("LOGIN_MAX_FAILURES", 5),
        "SIAGA_LOGIN_WINDOW_MINUTES": env_int("LOGIN_WINDOW_MINUTES", 15),
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent / "translations"),
        "LANGUAGES": ["id", "en"],
        "WTF_CSRF_TIME_LIMIT": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": is_production,
        "REMEMBER_COOKIE_SECURE": is_production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "JSON_SORT_KEYS": False,
    }
    if overrides:
        celery_overrides = overrides.pop("CELERY", None)
        cfg.update(overrides)
        if celery_overrides:
            cfg["CELERY"].update(celery_overrides)
    return cfg
