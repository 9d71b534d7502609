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
