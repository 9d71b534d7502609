"""Bahasa Indonesia first, English second: the catalog is complete and pages render in both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "siaga" / "translations" / "id" / "LC_MESSAGES" / "messages.po"


def _source_msgids() -> set[str]:
    method_map = [("siaga/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    ids: set[str] = set()
    for _fn, _ln, msg, _c, _ctx in extract_from_dir(str(ROOT), method_map=method_map, keywords=keywords):
        ids.add(msg if isinstance(msg, str) else msg[0])
    return ids


def test_every_ui_string_has_an_indonesian_translation():
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="id")
    translated = {}
    for m in catalog:
        if not m.id:
            continue
        key = m.id if isinstance(m.id, str) else m.id[0]
        ok = all(m.string) if isinstance(m.string, tuple) else bool(m.string)
        translated[key] = ok and "fuzzy" not in m.flags
    source = _source_msgids()
    missing = sorted(s for s in source if not translated.get(s))
    assert not missing, f"untranslated (run scripts/i18n and translate): {missing}"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("id", ["Masuk", "Kata sandi"]), ("en", ["Log in", "Password"])],
)
def test_login_page_in_both_languages(client, lang, expected):
    client.post(f"/lang/{lang}")
    page = client.get("/login").get_data(as_text=True)
    for text in expected:
        assert text in page
    assert f'<html lang="{lang}">' in page


def test_default_is_indonesian(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Masuk" in page and '<html lang="id">' in page


@pytest.mark.parametrize(
    ("lang", "words"),
    [("id", ["Dasbor", "Log audit", "Keluar"]), ("en", ["Dashboard", "Audit log", "Log out"])],
)
def test_user_language_is_remembered(client, users, db_session, lang, words):
    users["coordinator"].locale = lang
    db_session.flush()
    login(client, users["coordinator"].email)
    page = client.get("/dashboard").get_data(as_text=True)
    for w in words:
        assert w in page


def test_switch_language_persists_for_user(client, users, db_session):
    login(client, users["partner"].email)
    client.post("/lang/en", data={"next": "/dashboard"})
    assert users["partner"].locale == "en"
    assert "Dashboard" in client.get("/dashboard").get_data(as_text=True)


def test_catalog_compiles():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "compile",
            "-d",
            str(ROOT / "siaga" / "translations"),
            "--statistics",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
