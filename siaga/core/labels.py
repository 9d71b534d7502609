"""Display labels for the stored values pages show: roles, statuses, kinds (translated).

Templates call ``label(value)``; a value without a label is shown as it is.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from siaga.registry.labels import POINT_STATUS, SHELTER_STATUS

LABELS: dict[str, object] = {
    # roles
    "admin": _l("Administrator"),
    "coordinator": _l("Coordinator"),
    "partner": _l("Partner agency"),
    "field": _l("Field team"),
    # shelter and point status
    **SHELTER_STATUS,
    **POINT_STATUS,
    # recipient group kinds
    "organisation": _l("Organisation"),
    "role": _l("Role"),
    "region": _l("Region"),
    "manual": _l("Chosen by hand"),
    # hazards
    "any": _l("Any hazard"),
    "earthquake": _l("Earthquake"),
    "tsunami": _l("Tsunami warning"),
    "weather": _l("Weather warning"),
    # places an event reaches
    "shelter": _l("Shelter"),
    "point": _l("Evacuation point"),
    "district": _l("District"),
    # delivery status
    "queued": _l("queued"),
    "sending": _l("sending"),
    "sent": _l("sent"),
    "delivered": _l("delivered"),
    "acknowledged": _l("acknowledged"),
    "failed": _l("failed"),
    # channels
    "inapp": _l("in-app"),
}


def label(value: object) -> str:
    key = getattr(value, "value", value)
    return str(LABELS.get(str(key), key))
