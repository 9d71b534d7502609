"""How aid logistics tells the receiving shelter about its deliveries.

Services call :func:`notify_distribution` after every status change of a distribution,
inside the same transaction (after the flush). It returns the ids of queued message
deliveries, which the caller enqueues *after* its commit (``after_commit`` in the API,
directly after ``db.session.commit()`` in views), the same contract as
``siaga.registry.services.status_notice``. If the enqueue is lost, the rows stay queued
and the messaging beat sweep sends them.

What it sends: on dispatch (``in_transit``, template ``aid_dispatched``: items and
quantities, depot, departure time in the shelter's zone, vehicle) and on delivery
(``delivered``, template ``aid_delivered``: quantities received, shortfalls, receiver),
one message per distribution and event (``dedupe_key`` ``aid:<id>:<event>``), so a
retried or replayed request never sends twice. Other status changes (loaded, confirmed,
cancelled) are not news for the shelter and send nothing.

Who gets it, in this order:

1. The shelter's manager, on WhatsApp then SMS, when the shelter record has a manager
   phone that is an Indonesian mobile number. The manager is found as the messaging
   contact with that (normalised ``628…``) number, or a contact is created for them
   (name, the shelter's owner organisation, channels WhatsApp then SMS). A coordinator who
   deactivated that contact has said "do not message this number": we respect it and fall
   through. No acknowledgement is asked (the manager has no login to acknowledge with).
2. Otherwise (no manager phone, a landline, a deactivated contact): the in-app inbox of the
   active users of the shelter's owner organisation who run shelters (partner, coordinator,
   admin; field teams carry the aid, they are not the receiving side). For a BPBD shelter
   that is the BPBD staff; for a Polres shelter its coordinators. The message links to the
   distribution's page.
3. If that organisation has no such user: the coordinators on duty (in-app), so a delivery
   to an unmanaged shelter still reaches someone who can act.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import select

from siaga.accounts.models import Role, User
from siaga.core.time import format_local
from siaga.extensions import db

if TYPE_CHECKING:
    from siaga.aid.models import Distribution
    from siaga.messaging.models import Contact
    from siaga.registry.models import Shelter

#: The events worth telling the shelter about; other status changes are not news for it.
NOTIFY_EVENTS = frozenset({"in_transit", "delivered"})
#: Template per event.
KINDS = {"in_transit": "aid_dispatched", "delivered": "aid_delivered"}
#: Roles of the owner organisation's users who hear about deliveries when there is no manager phone.
RECEIVING_ROLES = (Role.PARTNER, Role.COORDINATOR, Role.ADMIN)


def manager_contact(shelter: Shelter) -> Contact | None:
    """The messaging contact of the shelter's manager phone (found or created), or None.

    None when the shelter has no manager phone, the phone is not an Indonesian mobile
    number (WhatsApp and SMS cannot reach it), or the contact with that number was
    deactivated.
    """
    from siaga.messaging.channels.phone import normalize_msisdn
    from siaga.messaging.models import Contact

    if not shelter.manager_phone:
        return None
    try:
        msisdn = normalize_msisdn(shelter.manager_phone)
    except ValueError:
        return None
    contact = db.session.scalars(select(Contact).where(Contact.phone == msisdn).order_by(Contact.id)).first()
    if contact is None:
        contact = Contact(
            name=(shelter.manager_name or f"Manager {shelter.name}")[:200],
            organisation_id=shelter.owner_org_id,
            function=f"Shelter manager, {shelter.name}"[:200],
            phone=msisdn,
            channel_order=["whatsapp", "sms"],
        )
        db.session.add(contact)
        db.session.flush()
    return contact if contact.is_active else None


def fallback_contacts(shelter: Shelter) -> list[Contact]:
    """In-app recipients when the manager cannot be reached by phone (see the module docstring)."""
    from siaga.messaging import services as messaging

    users = db.session.scalars(
        select(User)
        .where(
            User.organisation_id == shelter.owner_org_id,
            User.role.in_(RECEIVING_ROLES),
            User.is_active_user.is_(True),
        )
        .order_by(User.id)
    ).all()
    contacts = [c for c in (messaging.contact_for_user(u) for u in users) if c.is_active]
    return contacts or messaging.coordinators_on_duty()


def distribution_facts(distribution: Distribution) -> dict[str, Any]:
    """What the aid templates need: names, times in the shelter's zone, quantities per item."""
    d = distribution
    region = d.shelter.region_code
    return {
        "code": d.code,
        "depot": d.depot.name,
        "shelter": d.shelter.name,
        "vehicle": d.vehicle or "",
        "dispatched_local": format_local(d.dispatched_at, region),
        "delivered_local": format_local(d.delivered_at, region),
        "receiver": d.receiver_name or "-",
        "items": [
            {
                "name": line.item.name,
                "unit": line.item.unit,
                "quantity": line.quantity,
                "received": line.quantity_received if line.quantity_received is not None else line.quantity,
                "shortfall": line.shortfall,
            }
            for line in d.lines
        ],
    }


def notify_distribution(distribution: Distribution, event: str) -> list[int]:
    """Tell the receiving shelter about ``event`` (a status value); return the queued delivery ids.

    Only events in :data:`NOTIFY_EVENTS` send anything; at most one message per distribution
    and event. Flushes, never commits; the caller enqueues the returned ids after its commit.
    """
    if event not in NOTIFY_EVENTS:
        return []
    from siaga.messaging import services as messaging

    with db.session.no_autoflush:  # reads only: the caller's changes go with the message's flush
        shelter = distribution.shelter
        manager = manager_contact(shelter)
        if manager is not None:
            recipients, channels, link = [manager], ["whatsapp", "sms"], None
        else:
            base = current_app.config["SIAGA_BASE_URL"].rstrip("/")
            recipients = fallback_contacts(shelter)
            channels, link = ["inapp"], f"{base}/aid/distributions/{distribution.id}"
        facts = distribution_facts(distribution)
    msg = messaging.create_message(
        kind=KINDS[event],
        facts=facts,
        recipients=recipients,
        severity=1,
        link=link,
        source={"distribution_id": distribution.id, "shelter_id": shelter.id, "event": event},
        dedupe_key=f"aid:{distribution.id}:{event}",
        requires_ack=False,
        channels=channels,
        serialised=True,  # the caller holds the distribution's row lock; the key names it
    )
    return messaging.queued_ids(msg) if msg else []
