"""The pure needs calculation: BNPB and Sphere profiles, default shares, rounding up, coverage."""

from __future__ import annotations

import pytest

from siaga.aid import needs
from siaga.aid.needs import BNPB, SPHERE, Population, compute_needs, coverage, worst_coverage


def _by_key(result):
    return result.by_key()


def test_bnpb_hundred_people_without_breakdown_uses_default_shares():
    result = compute_needs(Population(occupants=100))
    n = _by_key(result)
    assert result.profile == "BNPB (Perka 7/2008)"
    assert all(x.profile == result.profile for x in result.needs)
    assert (n["rice"].per_week, n["rice"].per_day) == (280, 40)
    assert (n["drinking_water"].per_week, n["drinking_water"].per_day) == (1750, 250)
    assert (n["clean_water"].per_week, n["clean_water"].per_day) == (6700, 958)  # 957.14 rounded up
    assert (n["family_kit"].per_week, n["family_kit"].per_day) == (20, 3)
    # 49.6 women (default share 0.496) → 50; 50 × 0.7937 = 39.7 → 40 hygiene packs a week
    assert result.groups["female"].count == 50 and result.groups["female"].basis == "default share"
    assert n["hygiene_pack"].per_week == 40
    # pregnant 0.024 + lactating 0.026 → 5 women; 5 × 2.713 kg = 13.6 → 14 kg extra rice
    assert result.groups["pregnant_lactating"].count == 5
    assert n["rice_extra"].per_week == 14
    assert n["toilet"].kind == needs.ONCE and n["toilet"].per_week == 5


def test_recorded_breakdown_wins_over_default_shares():
    pop = Population.from_counts({"occupants": 100, "male": 30, "female": 70, "pregnant_lactating": 10})
    result = compute_needs(pop)
    assert result.groups["female"].count == 70 and result.groups["female"].basis == "recorded"
    assert result.groups["pregnant_lactating"].count == 10
    assert _by_key(result)["hygiene_pack"].per_week == 56  # 70 × 0.7937 = 55.6
    assert _by_key(result)["rice_extra"].per_week == 28  # 10 × 2.713 = 27.13


def test_partial_breakdown_is_scaled_to_the_whole_shelter():
    pop = Population.from_counts({"occupants": 200, "male": 10, "female": 10})
    assert compute_needs(pop).groups["female"].count == 100


def test_everything_rounds_up():
    n = _by_key(compute_needs(Population(occupants=1)))
    assert n["rice"].per_day == 1 and n["family_kit"].per_week == 1 and n["toilet"].per_week == 1


def test_no_float_dust_in_rounding():
    assert needs.ceil(2.8 * 5 / 7) == 2
    assert _by_key(compute_needs(Population(occupants=5), days=5))["rice"].for_period == 10


def test_period_figures_scale_with_days():
    n = _by_key(compute_needs(Population(occupants=100), days=14))
    assert n["rice"].for_period == 560
    assert n["toilet"].for_period == 5  # once, whatever the period


def test_sphere_profile_water_toilets_and_space():
    result = compute_needs(Population(occupants=100), SPHERE)
    n = _by_key(result)
    assert result.profile == "Sphere 2018"
    assert n["drinking_water"].per_day + n["clean_water"].per_day == 1500  # 15 L per person per day
    assert n["toilet"].per_week == 2  # 1 per 50 in the acute phase
    assert n["covered_space"].per_week == 350  # 3.5 m² per person


def test_unknown_profile_falls_back_to_bnpb():
    assert needs.get_profile("nope") is BNPB
    assert needs.get_profile(None) is BNPB


def test_profiles_are_configurable():
    custom = needs.Profile(key="test-only", name="Provinsi X", rates=(needs.Rate("rice", "kg", 3.5),))
    needs.register_profile(custom)
    try:
        result = compute_needs(Population(occupants=10), needs.get_profile("test-only"))
        assert result.profile == "Provinsi X" and result.by_key()["rice"].per_week == 35
    finally:
        needs.PROFILES.pop("test-only")


def test_coverage_gap_and_worst():
    result = compute_needs(Population(occupants=100))
    rows = {c.key: c for c in coverage(result, {"rice": 147, "drinking_water": 1750, "clean_water": 6700})}
    # rice needed = 280 + 14 extra for pregnant and lactating women
    assert rows["rice"].needed == 294 and rows["rice"].gap == 147 and rows["rice"].ratio == pytest.approx(0.5)
    assert rows["drinking_water"].gap == 0 and rows["drinking_water"].ratio == 1
    assert "rice_extra" not in rows and "toilet" not in rows  # folded into rice; one-off needs
    assert rows["family_kit"].delivered == 0 and rows["family_kit"].gap == 20
    assert worst_coverage(list(rows.values())) == 0
    assert all(c.profile == result.profile for c in rows.values())


def test_empty_shelter_has_no_needs_and_no_band():
    rows = coverage(compute_needs(Population(occupants=0)), {})
    assert all(c.needed == 0 and c.ratio is None for c in rows)
    assert worst_coverage(rows) is None and needs.band(None) == "none"


@pytest.mark.parametrize(
    ("ratio", "band"), [(0.2, "critical"), (0.5, "low"), (0.89, "low"), (0.9, "ok"), (1.4, "ok")]
)
def test_bands(ratio, band):
    assert needs.band(ratio) == band


def test_days_must_be_positive():
    with pytest.raises(ValueError, match="days"):
        compute_needs(Population(occupants=1), days=0)
