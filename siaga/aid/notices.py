"""The hook through which aid logistics tells people about deliveries.

Services call :func:`notify_distribution` after every status change of a distribution,
inside the same transaction (after the flush). It returns the ids of queued message
deliveries, which the caller enqueues *after* its commit (``after_commit`` in the API,
directly after ``db.session.commit()`` in views), the same contract as
``siaga.registry.services.status_notice``.

What it sends: nothing yet. Dispatch (``in_transit``) and delivery (``delivered``) are
meant to reach the receiving shelter's contact (its manager's phone) through messaging,
but the messaging text catalogue (``siaga.messaging.texts.TEMPLATES``) has no
distribution message kinds and shelter managers are not messaging contacts. Until both
exist this hook records nothing and queues nothing; it never pretends a message went out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from siaga.aid.models import Distribution

#: The events worth telling the shelter about; other status changes are not news for it.
NOTIFY_EVENTS = frozenset({"in_transit", "delivered"})


def notify_distribution(distribution: Distribution, event: str) -> list[int]:
    """Tell the receiving shelter's contact about ``event`` (a status value); return queued ids.

    Not wired to messaging yet (see the module docstring): returns an empty list.
    """
    # Once messaging has distribution texts: for events in NOTIFY_EVENTS, create a message to
    # the shelter's contact with siaga.messaging.services.create_message and return queued_ids.
    return []
