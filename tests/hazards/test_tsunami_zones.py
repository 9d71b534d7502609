"""Tsunami warning zones (InaTEWS ``wzarea``) matched to our regencies by name, robustly:
case, punctuation, hyphens, "Kab."/"Kabupaten"/"Kota", "Kep."/"Kepulauan" and InaTEWS's
part-of qualifiers, without confusing a kota with the kabupaten of the same name."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from siaga.hazards import bmkg
from siaga.hazards.reports import TsunamiArea, TsunamiReport
from siaga.hazards.services import match_regencies, process_report, regency_key
from tests.hazards.reports import tsunami

DATA = Path(__file__).resolve().parent.parent / "data" / "bmkg"

#: Kemendagri names of the regencies the real warnings name (Papua, Papua Barat, Maluku Utara,
#: Sumatera Utara); the codes only need the kabupaten (01–69) / kota (71–99) split here.
REGENCIES = [
    ("91.03", "Kabupaten Jayapura"),
    ("91.71", "Kota Jayapura"),
    ("91.19", "Kabupaten Sarmi"),
    ("91.15", "Kabupaten Waropen"),
    ("91.06", "Kabupaten Biak Numfor"),
    ("91.27", "Kabupaten Supiori"),
    ("92.05", "Kabupaten Raja Ampat"),
    ("92.01", "Kabupaten Sorong"),
    ("92.71", "Kota Sorong"),
    ("92.06", "Kabupaten Teluk Wondama"),
    ("82.02", "Kabupaten Halmahera Tengah"),
    ("12.14", "Kabupaten Nias Selatan"),
    ("13.01", "Kabupaten Kepulauan Mentawai"),
]


def _areas(fixture: str) -> list[dict[str, str]]:
    (report,) = bmkg.parse_inatews((DATA / fixture).read_bytes())
    assert isinstance(report, TsunamiReport)
    return [{"district": a.district, "level": a.level} for a in report.areas]


def test_every_zone_of_the_real_exercise_warning_matches_its_regency():
    zones = match_regencies(_areas("inatews-datagempa-TEST-tsunami-pd1-2021.json"), REGENCIES)
    assert zones == {
        "91.03": "SIAGA",  # JAYAPURA: the kabupaten
        "91.71": "SIAGA",  # KOTA-JAYAPURA: the city, not the kabupaten
        "91.19": "SIAGA",  # SARMI
        "91.15": "WASPADA",  # WAROPEN
        "91.06": "WASPADA",  # BIAKNUMFOR
        "91.27": "WASPADA",  # SUPIORI
        "92.05": "WASPADA",  # RAJAAMPAT BAGIAN UTARA
        "92.06": "WASPADA",  # TELUKWONDAMA
        "82.02": "WASPADA",  # HALMAHERA-TENGAH
        "92.01": "WASPADA",  # SORONG BAGIAN SELATAN: the kabupaten, not Kota Sorong
    }


def test_the_real_mentawai_warning_names_an_island_of_nias_selatan():
    zones = match_regencies(_areas("inatews-datagempa-tsunami-warning-pd1-mentawai-2023.json"), REGENCIES)
    assert zones == {"12.14": "WASPADA"}  # NIAS-SELATAN PULAU TANABALA


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("KOTA-JAYAPURA", ("kota", "JAYAPURA")),
        ("Kab.Sumedang", ("kab", "SUMEDANG")),
        ("KABUPATEN MUSI BANYUASIN", ("kab", "MUSIBANYUASIN")),
        ("musi-banyuasin", (None, "MUSIBANYUASIN")),
        ("KEP. MENTAWAI", (None, "MENTAWAI")),
        ("Kabupaten Kepulauan Mentawai", ("kab", "MENTAWAI")),
        ("Kabupaten Pulau Morotai", ("kab", "PULAUMOROTAI")),  # "Pulau" leading a name stays
        ("Kota Adm. Jakarta Utara", ("kota", "JAKARTAUTARA")),
        ("Kabupaten Administrasi Kepulauan Seribu", ("kab", "SERIBU")),
    ],
)
def test_regency_key(name, key):
    assert regency_key(name) == key


def test_a_qualifier_that_is_part_of_a_regency_name_is_kept():
    regencies = [
        ("81.02", "Kabupaten Seram Bagian Timur"),
        ("81.03", "Kabupaten Seram Bagian Barat"),
        ("92.05", "Kabupaten Raja Ampat"),
    ]
    areas = [
        {"district": "SERAM-BAGIAN-BARAT", "level": "AWAS"},
        {"district": "SERAM BAGIAN TIMUR", "level": "WASPADA"},
        {"district": "RAJAAMPAT BAGIAN UTARA", "level": "SIAGA"},
    ]
    assert match_regencies(areas, regencies) == {"81.03": "AWAS", "81.02": "WASPADA", "92.05": "SIAGA"}


def test_zones_reach_our_regencies_and_a_kota_is_not_its_kabupaten(db_session, make_shelter):
    make_shelter(name="Posko Sekayu", lat=-2.88, lon=103.85)  # Kab. Musi Banyuasin
    make_shelter(name="Posko Palembang", lat=-2.97, lon=104.77)  # Kota Palembang
    make_shelter(name="Posko Solok", lat=-0.975, lon=100.64)  # Kab. Solok
    report = tsunami(
        identifier="tsu-names",
        origin_time=datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
        areas=(
            TsunamiArea(province="SUMSEL", district="Kab. Musi-Banyuasin", level="WASPADA"),
            TsunamiArea(province="SUMSEL", district="KOTA PALEMBANG", level="siaga"),
            TsunamiArea(province="SUMBAR", district="KOTA-SOLOK", level="AWAS"),  # not Kab. Solok
        ),
    )
    ev, _, _ = process_report(report)
    levels = {i.name: i.level for i in ev.impacts if i.target_type == "shelter"}
    assert levels == {"Posko Sekayu": "WASPADA", "Posko Palembang": "SIAGA"}
    assert ev.severity == 3  # SIAGA is the highest level in our area; Kota Solok is not ours
