"""Imports every domain's models so metadata (and Alembic) sees all tables."""

from siaga.accounts.models import ApiToken, LoginAttempt, Organisation, User
from siaga.audit.models import AuditEvent
from siaga.core.models import Heartbeat, IdempotencyRecord
from siaga.regions.models import Region
from siaga.registry.models import EvacuationPoint, OccupancyEvent, Shelter, ShelterAssignment

__all__ = [
    "ApiToken",
    "AuditEvent",
    "EvacuationPoint",
    "Heartbeat",
    "IdempotencyRecord",
    "LoginAttempt",
    "OccupancyEvent",
    "Organisation",
    "Region",
    "Shelter",
    "ShelterAssignment",
    "User",
]
