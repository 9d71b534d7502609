"""Configuration: production refuses the default secret; cookies are secure there."""

from __future__ import annotations

import pytest

from siaga.config import ConfigError, build_config


def test_production_refuses_without_secret(monkeypatch):
    monkeypatch.setenv("SIAGA_ENV", "production")
    monkeypatch.delenv("SIAGA_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SIAGA_SECRET_KEY"):
        build_config()


def test_production_with_secret_has_secure_cookies(monkeypatch):
    monkeypatch.setenv("SIAGA_ENV", "production")
    monkeypatch.setenv("SIAGA_SECRET_KEY", "x" * 40)
    cfg = build_config()
    assert cfg["SESSION_COOKIE_SECURE"] and cfg["REMEMBER_COOKIE_SECURE"]
    assert cfg["SESSION_COOKIE_HTTPONLY"]


def test_embedded_default_needs_no_server(monkeypatch, tmp_path):
    for var in ("SIAGA_DATABASE_URL", "SIAGA_BROKER_URL", "SIAGA_ENV"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SIAGA_INSTANCE_PATH", str(tmp_path))
    cfg = build_config()
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'siaga.sqlite'}"
    assert cfg["CELERY"]["broker_url"] == f"sqla+sqlite:///{tmp_path / 'celery-broker.sqlite'}"
    assert cfg["CELERY"]["task_always_eager"] is False


def test_bad_integer_env_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("SIAGA_STALE_HOURS", "six")
    with pytest.raises(ConfigError, match="SIAGA_STALE_HOURS"):
        build_config()


def test_every_env_variable_is_documented():
    """Every SIAGA_* name the code reads appears in the README."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    code = "\n".join(p.read_text() for p in (root / "siaga").rglob("*.py"))
    names = {f"SIAGA_{n}" for n in re.findall(r'env(?:_int|_bool|_float)?\(\s*"([A-Z0-9_]+)"', code)}
    assert "SIAGA_DATABASE_URL" in names  # the pattern does find them
    missing = sorted(n for n in names if f"`{n}`" not in readme)
    assert not missing, f"undocumented variables: {missing}"


@pytest.mark.parametrize(
    ("raw", "reason"), [("V", "a number"), ("nan", "a number"), ("0.5", "at least 1"), ("13", "at most 12")]
)
def test_mmi_threshold_must_be_on_the_scale(monkeypatch, raw, reason):
    monkeypatch.setenv("SIAGA_MMI_THRESHOLD", raw)
    with pytest.raises(ConfigError, match=f"SIAGA_MMI_THRESHOLD must be {reason}"):
        build_config()


def test_mmi_threshold_from_the_environment(monkeypatch):
    monkeypatch.setenv("SIAGA_MMI_THRESHOLD", "6.5")
    assert build_config()["SIAGA_MMI_THRESHOLD"] == 6.5


@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("SIAGA_POLL_AUTOGEMPA_SECONDS", "0", "at least 1"),
        ("SIAGA_POLL_INATEWS_SECONDS", "-60", "at least 1"),
        ("SIAGA_POLL_LISTS_SECONDS", "86401", "at most 86400"),
        ("SIAGA_POLL_NOWCAST_SECONDS", "5.5", "a whole number"),
        ("SIAGA_FEED_FAILURES_NOTICE", "0", "at least 1"),
        ("SIAGA_FEED_SILENT_MINUTES", "-1", "at least 1"),
    ],
)
def test_feed_intervals_and_thresholds_are_bounded(monkeypatch, name, raw, reason):
    monkeypatch.setenv(name, raw)
    with pytest.raises(ConfigError, match=f"{name} must be {reason}, got '{raw}'"):
        build_config()


def test_feed_intervals_within_bounds_are_read(monkeypatch):
    monkeypatch.setenv("SIAGA_POLL_AUTOGEMPA_SECONDS", "1")
    monkeypatch.setenv("SIAGA_POLL_NOWCAST_SECONDS", "86400")
    monkeypatch.setenv("SIAGA_FEED_FAILURES_NOTICE", "1")
    cfg = build_config()
    assert (cfg["SIAGA_POLL_AUTOGEMPA_SECONDS"], cfg["SIAGA_POLL_NOWCAST_SECONDS"]) == (1, 86400)
    assert cfg["SIAGA_FEED_FAILURES_NOTICE"] == 1


def test_a_zero_poll_interval_stops_create_app_with_a_clear_error(monkeypatch, tmp_path):
    """It used to end in a ZeroDivisionError while beat's schedule was built."""
    from flask import Flask

    from siaga import create_app
    from siaga.celery_app import beat_schedule

    monkeypatch.setenv("SIAGA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SIAGA_POLL_AUTOGEMPA_SECONDS", "0")
    with pytest.raises(ConfigError, match="SIAGA_POLL_AUTOGEMPA_SECONDS must be at least 1"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    # Set in the app's config directly, past the environment's bounds: beat's schedule (what
    # create_app builds last) refuses it by name. A bare Flask app: a Celery app built here
    # would become the thread's current one for the tests that follow.
    monkeypatch.delenv("SIAGA_POLL_AUTOGEMPA_SECONDS")
    for bad in (0, -60):
        app = Flask(__name__)
        app.config.from_mapping(build_config({"SIAGA_POLL_AUTOGEMPA_SECONDS": bad}))
        with pytest.raises(ValueError, match="SIAGA_POLL_AUTOGEMPA_SECONDS must be a positive number"):
            beat_schedule(app)
