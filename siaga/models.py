"""Imports every domain's models so metadata (and Alembic) sees all tables."""

from siaga.accounts.models import ApiToken, LoginAttempt, Organisation, User
from siaga.audit.models import AuditEvent
from siaga.core.models import Heartbeat

__all__ = ["ApiToken", "AuditEvent", "Heartbeat", "LoginAttempt", "Organisation", "User"]
