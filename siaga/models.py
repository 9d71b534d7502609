"""Imports every domain's models so metadata (and Alembic) sees all tables."""

import siaga.aid.models  # noqa: F401  (aid logistics tables)
from siaga.accounts.models import ApiToken, LoginAttempt, Organisation, User
from siaga.audit.models import AuditEvent
from siaga.core.models import Heartbeat, IdempotencyRecord
from siaga.hazards.models import EventImpact, FeedState, HazardEvent, HazardRevision
from siaga.maps.models import MapShare
from siaga.messaging.models import Contact, Delivery, Group, GroupMember, Message, Subscription
from siaga.regions.models import Region
from siaga.registry.models import EvacuationPoint, OccupancyEvent, Shelter, ShelterAssignment

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Contact",
    "Delivery",
    "EvacuationPoint",
    "EventImpact",
    "FeedState",
    "Group",
    "GroupMember",
    "HazardEvent",
    "HazardRevision",
    "Heartbeat",
    "IdempotencyRecord",
    "LoginAttempt",
    "MapShare",
    "Message",
    "OccupancyEvent",
    "Organisation",
    "Region",
    "Shelter",
    "ShelterAssignment",
    "Subscription",
    "User",
]
