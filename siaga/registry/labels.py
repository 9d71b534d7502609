"""Display labels for registry enums (translated)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SHELTER_TYPE = {
    "school": _l("School"),
    "worship": _l("House of worship"),
    "government": _l("Government building"),
    "sports_hall": _l("Sports hall"),
    "tent_camp": _l("Tent camp"),
    "other": _l("Other"),
}
SHELTER_STATUS = {"standby": _l("standby"), "open": _l("open"), "full": _l("full"), "closed": _l("closed")}
POINT_KIND = {
    "assembly": _l("Assembly point (titik kumpul)"),
    "tes": _l("Temporary evacuation site (TES)"),
    "helipad": _l("Helipad"),
    "other": _l("Other"),
}
POINT_STATUS = {"active": _l("active"), "inactive": _l("inactive"), "damaged": _l("damaged")}
OCCUPANCY_KIND = {"check_in": _l("Check-in"), "check_out": _l("Check-out"), "correction": _l("Correction")}
BREAKDOWN_LABEL = {
    "male": _l("Male"),
    "female": _l("Female"),
    "under5": _l("Under 5"),
    "over60": _l("60 and over"),
    "pregnant_lactating": _l("Pregnant or lactating"),
    "disabled": _l("Disabled"),
    "families": _l("Families"),
}


def options(labels: dict[str, object]) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in labels.items()]


#: What a place's coordinate warnings say (saved anyway: the user checks them).
WARNING_TEXT = {
    "outside_indonesia": _l("Note: the coordinates are outside Indonesia. Check latitude and longitude."),
    "region_mismatch": _l(
        "Note: the coordinates lie in another regency than the region code given. "
        "Check latitude, longitude and the region."
    ),
}
