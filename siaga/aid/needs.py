"""Minimum needs of displaced people and how far deliveries cover them. Pure: no database.

A :class:`Profile` holds the per-person rates of one standard. ``BNPB`` (the default) is
Perka BNPB 7/2008 as InaSAFE encodes it, with the figures in ``DOMAIN.md``: rates are per
week and the daily figure is the weekly one divided by seven. ``SPHERE`` follows Sphere
2018 for water (15 L per person per day: 2.5 L drinking, 12.5 L for cooking and hygiene),
toilets (1 per 50 people in the acute phase) and covered space (3.5 m² per person); food,
kits and hygiene packs keep the BNPB rates, for which Sphere sets no item quantities.

Every figure is rounded up (a part of a sack or a kit is a whole one to deliver) and
carries the profile's name. Where the shelter's breakdown is unknown, the default
population shares of the BNPB profile are used, and the output says so per group.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

#: Consumables delivered over time (compared with deliveries) and one-off needs.
CONSUMABLE = "consumable"
ONCE = "once"

#: Default population shares when no breakdown is known (BNPB profile, DOMAIN.md).
DEFAULT_SHARES: dict[str, float] = {
    "female": 0.496,
    "pregnant": 0.024,
    "lactating": 0.026,
    "under5": 0.093,
    "over60": 0.111,
    "disabled": 0.15,
}


@dataclass(frozen=True)
class Rate:
    """One need: ``per_week`` units for each person of ``applies_to``."""

    key: str
    unit: str
    per_week: float
    #: "everyone", "female" or "pregnant_lactating"
    applies_to: str = "everyone"
    kind: str = CONSUMABLE


@dataclass(frozen=True)
class Profile:
    key: str
    name: str
    rates: tuple[Rate, ...]
    source: str = ""


BNPB = Profile(
    key="bnpb",
    name="BNPB (Perka 7/2008)",
    source="Perka BNPB 7/2008 minimum needs, as encoded by InaSAFE",
    rates=(
        Rate("rice", "kg", 2.8),
        Rate("rice_extra", "kg", 2.713, applies_to="pregnant_lactating"),
        Rate("drinking_water", "L", 17.5),
        Rate("clean_water", "L", 67.0),
        Rate("family_kit", "pcs", 0.2),
        Rate("hygiene_pack", "pcs", 0.7937, applies_to="female"),
        Rate("toilet", "pcs", 0.05, kind=ONCE),
    ),
)

SPHERE = Profile(
    key="sphere",
    name="Sphere 2018",
    source="Sphere Handbook 2018 (water, toilets, covered space); BNPB rates for the rest",
    rates=(
        Rate("rice", "kg", 2.8),
        Rate("rice_extra", "kg", 2.713, applies_to="pregnant_lactating"),
        Rate("drinking_water", "L", 2.5 * 7),
        Rate("clean_water", "L", 12.5 * 7),
        Rate("family_kit", "pcs", 0.2),
        Rate("hygiene_pack", "pcs", 0.7937, applies_to="female"),
        Rate("toilet", "pcs", 1 / 50, kind=ONCE),
        Rate("covered_space", "m2", 3.5, kind=ONCE),
    ),
)

PROFILES: dict[str, Profile] = {BNPB.key: BNPB, SPHERE.key: SPHERE}
DEFAULT_PROFILE = BNPB.key

#: Need keys whose deliveries count towards another key's coverage (extra rice is rice).
COVERED_BY: dict[str, str] = {"rice_extra": "rice"}


def get_profile(key: str | None) -> Profile:
    """The profile called ``key``; the default (BNPB) when unknown or not given."""
    return PROFILES.get(key or DEFAULT_PROFILE, PROFILES[DEFAULT_PROFILE])


def register_profile(profile: Profile) -> None:
    """Add or replace a profile (e.g. a provincial variant); the key selects it."""
    PROFILES[profile.key] = profile


def ceil(x: float) -> int:
    """Round up, ignoring floating-point dust (2.8 * 5 / 7 must give 2, not 3)."""
    return math.ceil(round(x, 6))


@dataclass(frozen=True)
class Population:
    """Who is in a shelter. ``None`` for a group means "not recorded"."""

    occupants: int
    male: int | None = None
    female: int | None = None
    pregnant_lactating: int | None = None
    under5: int | None = None
    over60: int | None = None
    disabled: int | None = None

    @classmethod
    def from_counts(cls, counts: Mapping[str, int]) -> Population:
        """From a shelter's cached totals: the breakdown counts as known when any sex was recorded."""
        occupants = int(counts.get("occupants", 0))
        male, female = int(counts.get("male", 0)), int(counts.get("female", 0))
        if male + female == 0:
            return cls(occupants=occupants)
        return cls(
            occupants=occupants,
            male=male,
            female=female,
            pregnant_lactating=int(counts.get("pregnant_lactating", 0)),
            under5=int(counts.get("under5", 0)),
            over60=int(counts.get("over60", 0)),
            disabled=int(counts.get("disabled", 0)),
        )


@dataclass(frozen=True)
class Group:
    count: int
    #: "recorded" or "default share"
    basis: str


def breakdown(pop: Population) -> dict[str, Group]:
    """The groups the rates apply to, recorded where known, else from the default shares."""
    n = pop.occupants
    out: dict[str, Group] = {"everyone": Group(n, "recorded")}
    if pop.female is not None and pop.male is not None and pop.male + pop.female > 0:
        # A partial breakdown is scaled to the whole shelter.
        share = pop.female / (pop.male + pop.female)
        out["female"] = Group(ceil(n * share), "recorded")
    else:
        out["female"] = Group(ceil(n * DEFAULT_SHARES["female"]), "default share")
    if pop.pregnant_lactating is not None:
        out["pregnant_lactating"] = Group(pop.pregnant_lactating, "recorded")
    else:
        share = DEFAULT_SHARES["pregnant"] + DEFAULT_SHARES["lactating"]
        out["pregnant_lactating"] = Group(ceil(n * share), "default share")
    for key in ("under5", "over60", "disabled"):
        value = getattr(pop, key)
        out[key] = (
            Group(value, "recorded")
            if value is not None
            else Group(ceil(n * DEFAULT_SHARES[key]), "default share")
        )
    return out


@dataclass(frozen=True)
class Need:
    key: str
    unit: str
    kind: str
    per_day: int
    per_week: int
    #: For ``days`` (the comparison period); for one-off needs the same as ``per_week``.
    for_period: int
    applies_to: str
    people: int
    profile: str


@dataclass(frozen=True)
class NeedsResult:
    profile_key: str
    profile: str
    occupants: int
    days: int
    groups: dict[str, Group]
    needs: list[Need] = field(default_factory=list)

    def by_key(self) -> dict[str, Need]:
        return {n.key: n for n in self.needs}


def compute_needs(pop: Population, profile: Profile | None = None, days: int = 7) -> NeedsResult:
    """Needs per day, per week and for ``days`` days, each rounded up."""
    if days < 1:
        raise ValueError("days must be at least 1")
    profile = profile or get_profile(None)
    groups = breakdown(pop)
    needs: list[Need] = []
    for rate in profile.rates:
        people = groups[rate.applies_to].count
        if rate.kind == ONCE:
            total = ceil(people * rate.per_week)
            needs.append(
                Need(
                    rate.key, rate.unit, rate.kind, total, total, total, rate.applies_to, people, profile.name
                )
            )
            continue
        weekly = people * rate.per_week
        needs.append(
            Need(
                key=rate.key,
                unit=rate.unit,
                kind=rate.kind,
                per_day=ceil(weekly / 7),
                per_week=ceil(weekly),
                for_period=ceil(weekly * days / 7),
                applies_to=rate.applies_to,
                people=people,
                profile=profile.name,
            )
        )
    return NeedsResult(profile.key, profile.name, pop.occupants, days, groups, needs)


@dataclass(frozen=True)
class Coverage:
    key: str
    unit: str
    needed: int
    delivered: int
    #: delivered / needed (may exceed 1); ``None`` when nothing is needed.
    ratio: float | None
    gap: int
    profile: str


def coverage(result: NeedsResult, delivered: Mapping[str, int]) -> list[Coverage]:
    """Compare consumable needs for the period with quantities delivered, by need key.

    Needs that another key covers (extra rice for pregnant and lactating women) are added
    to that key, so rice delivered is compared with all the rice needed.
    """
    needed: dict[str, int] = {}
    units: dict[str, str] = {}
    for n in result.needs:
        if n.kind != CONSUMABLE:
            continue
        key = COVERED_BY.get(n.key, n.key)
        needed[key] = needed.get(key, 0) + n.for_period
        units.setdefault(key, n.unit)
    rows = []
    for key, need in needed.items():
        got = int(delivered.get(key, 0))
        rows.append(
            Coverage(
                key=key,
                unit=units[key],
                needed=need,
                delivered=got,
                ratio=(got / need) if need else None,
                gap=max(need - got, 0),
                profile=result.profile,
            )
        )
    return rows


def worst_coverage(rows: list[Coverage]) -> float | None:
    """The lowest ratio among needs that are needed at all; ``None`` when nothing is needed."""
    ratios = [r.ratio for r in rows if r.ratio is not None]
    return min(ratios) if ratios else None


#: Coverage bands for colours: below the first is critical, below the second is low.
BANDS = (0.5, 0.9)


def band(ratio: float | None) -> str:
    """ "none" (no needs), "critical" (< 50 %), "low" (< 90 %) or "ok"."""
    if ratio is None:
        return "none"
    if ratio < BANDS[0]:
        return "critical"
    if ratio < BANDS[1]:
        return "low"
    return "ok"
