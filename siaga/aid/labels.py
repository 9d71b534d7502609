"""Display labels for aid enums and need keys (translated)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

DISTRIBUTION_STATUS = {
    "planned": _l("planned"),
    "loaded": _l("loaded"),
    "in_transit": _l("in transit"),
    "delivered": _l("delivered"),
    "confirmed": _l("confirmed"),
    "cancelled": _l("cancelled"),
}
MOVEMENT_KIND = {
    "receive": _l("Received"),
    "transfer_out": _l("Transfer out"),
    "transfer_in": _l("Transfer in"),
    "distribute": _l("Loaded for delivery"),
    "return": _l("Returned (cancelled delivery)"),
    "adjust": _l("Adjustment"),
}
RECEIVE_SOURCE = {"donation": _l("Donation"), "procurement": _l("Procurement"), "transfer": _l("Transfer")}
ADJUST_REASON = {
    "damaged": _l("Damaged"),
    "expired": _l("Expired"),
    "lost": _l("Lost"),
    "count_correction": _l("Count correction"),
}
DEPOT_KIND = {"warehouse": _l("Warehouse (gudang)"), "logistics_post": _l("Logistics post (posko logistik)")}
ITEM_CATEGORY = {
    "food": _l("Food"),
    "water": _l("Water"),
    "shelter": _l("Shelter materials"),
    "hygiene": _l("Hygiene"),
    "health": _l("Health"),
    "household": _l("Household"),
}
PRIORITY = {1: _l("low"), 2: _l("normal"), 3: _l("high"), 4: _l("urgent")}
REQUEST_STATUS = {"open": _l("open"), "filled": _l("filled"), "cancelled": _l("cancelled")}
NEED = {
    "rice": _l("Rice"),
    "rice_extra": _l("Extra rice (pregnant and lactating women)"),
    "drinking_water": _l("Drinking water"),
    "clean_water": _l("Clean water"),
    "family_kit": _l("Family kits"),
    "hygiene_pack": _l("Hygiene packs"),
    "toilet": _l("Toilets"),
    "covered_space": _l("Covered space"),
}
GROUP = {
    "everyone": _l("everyone"),
    "female": _l("women and girls"),
    "pregnant_lactating": _l("pregnant or lactating"),
    "under5": _l("under 5"),
    "over60": _l("60 and over"),
    "disabled": _l("disabled"),
}
BASIS = {"recorded": _l("recorded"), "default share": _l("default share")}
BAND = {"none": _l("no needs"), "critical": _l("critical"), "low": _l("low"), "ok": _l("covered")}


def options(labels: dict[str, object]) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in labels.items()]
