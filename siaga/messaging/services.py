"""Messaging services: recipients, messages, the delivery state machine, acknowledgements, escalation.

Delivery life: queued → sending → sent → delivered (where the channel reports it) →
acknowledged, or failed. A worker *claims* a delivery with one conditional UPDATE
(queued → sending); a second run of the same task finds nothing to claim, so a task
run twice never sends twice. A delivery stuck in ``sending`` (worker died) is put back
to ``queued`` by :func:`sweep` after ``SIAGA_SENDING_TIMEOUT_SECONDS``. After the last
retry a delivery fails and the contact's next channel gets a new delivery.
Services flush, never commit; callers enqueue tasks only after their commit.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from siaga.accounts.models import Role, User
from siaga.core.context import current_actor
from siaga.core.errors import ValidationFailed
from siaga.db import utcnow
from siaga.extensions import db
from siaga.messaging.models import (
    CHANNELS,
    Contact,
    Delivery,
    DeliveryStatus,
    Group,
    GroupKind,
    GroupMember,
    Message,
    Subscription,
)
from siaga.messaging.texts import render

MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 600.0
ACK_SALT = "siaga-ack"
#: Minutes to wait for an acknowledgement, by severity (1 minor … 4 extreme).
DEFAULT_ACK_MINUTES = {1: 240, 2: 60, 3: 20, 4: 10}

# ---------------------------------------------------------------- recipients


def contact_for_user(user: User) -> Contact:
    contact = db.session.scalar(select(Contact).where(Contact.user_id == user.id))
    if contact is None:
        contact = Contact(
            name=user.name,
            organisation_id=user.organisation_id,
            function=user.role.value,
            phone=user.phone,
            email=user.email,
            user_id=user.id,
            channel_order=["inapp", "email"],
        )
        db.session.add(contact)
        db.session.flush()
    return contact


def group_contacts(group: Group) -> list[Contact]:
    """The active contacts a group reaches (users are given a contact on first use)."""
    if group.kind == GroupKind.MANUAL:
        stmt = (
            select(Contact)
            .join(GroupMember, GroupMember.contact_id == Contact.id)
            .where(GroupMember.group_id == group.id)
        )
        return list(db.session.scalars(stmt.where(Contact.is_active.is_(True))))
    users: list[User] = []
    contacts: list[Contact] = []
    if group.kind == GroupKind.ROLE and group.role:
        users = list(
            db.session.scalars(
                select(User).where(User.role == Role(group.role), User.is_active_user.is_(True))
            )
        )
    elif group.kind == GroupKind.ORGANISATION and group.organisation_id:
        users = list(db.session.scalars(select(User).where(User.organisation_id == group.organisation_id)))
        contacts = list(
            db.session.scalars(
                select(Contact).where(
                    Contact.organisation_id == group.organisation_id, Contact.user_id.is_(None)
                )
            )
        )
    elif group.kind == GroupKind.REGION and group.region_code:
        from siaga.accounts.models import Organisation

        code = group.region_code
        orgs = select(Organisation.id).where(
            or_(Organisation.region_code == code, Organisation.region_code.startswith(code + "."))
        )
        users = list(db.session.scalars(select(User).where(User.organisation_id.in_(orgs))))
        contacts = list(
            db.session.scalars(
                select(Contact).where(Contact.organisation_id.in_(orgs), Contact.user_id.is_(None))
            )
        )
    result = {c.id: c for c in contacts if c.is_active}
    for u in users:
        if u.is_active:
            c = contact_for_user(u)
            if c.is_active:
                result[c.id] = c
    return list(result.values())


def subscribed_contacts(region_codes: Iterable[str], hazard_kind: str, severity: int) -> list[Contact]:
    """Contacts whose subscriptions cover any of the regions, this hazard kind and severity."""
    codes = set(region_codes)
    subs = db.session.scalars(
        select(Subscription).where(
            Subscription.hazard_kind.in_([hazard_kind, "any"]), Subscription.min_severity <= severity
        )
    ).all()
    out: dict[int, Contact] = {}
    for sub in subs:
        if any(
            c == sub.region_code or c.startswith(sub.region_code + ".") or sub.region_code.startswith(c + ".")
            for c in codes
        ):
            for contact in group_contacts(sub.group):
                out[contact.id] = contact
    return list(out.values())


def coordinators_on_duty() -> list[Contact]:
    users = db.session.scalars(
        select(User).where(User.role.in_([Role.COORDINATOR, Role.ADMIN]), User.is_active_user.is_(True))
    ).all()
    return [contact_for_user(u) for u in users]


# ---------------------------------------------------------------- messages


def create_message(
    *,
    kind: str,
    facts: dict[str, Any],
    recipients: Iterable[Contact],
    severity: int = 1,
    link: str | None = None,
    source: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    requires_ack: bool = True,
    is_exercise: bool = False,
    channels: list[str] | None = None,
    serialised: bool = False,
) -> Message | None:
    """Create a message and one queued delivery per recipient on its first usable channel.

    Returns None when ``dedupe_key`` was already used (a cause produces one message).
    Exercises are delivered to the in-app inbox only: never a real dispatch.

    ``serialised``: the caller holds a lock that no other transaction can hold while using
    the same ``dedupe_key`` (aid notices: the distribution's row lock, and the key names the
    distribution), so no concurrent twin can take the key between the check and the insert;
    the message and its deliveries are then written with the caller's pending changes in one
    flush, without a savepoint.
    """
    with db.session.no_autoflush:  # the check needs no pending change: they go in one flush below
        taken = dedupe_key and db.session.scalar(select(Message.id).where(Message.dedupe_key == dedupe_key))
    if taken:
        return None
    rendered = render(kind, facts)
    msg = Message(
        kind=kind,
        subject=rendered.subject,
        body_id=rendered.body_id,
        body_en=rendered.body_en,
        link=link,
        severity=severity,
        requires_ack=requires_ack,
        source=source or {},
        dedupe_key=dedupe_key,
        is_exercise=is_exercise,
        created_by=current_actor().label,
    )
    # A new message has no deliveries yet: mark its (empty) collection as loaded and add to it,
    # so neither a duplicate check per recipient nor a reload of the collection is needed.
    set_committed_value(msg, "deliveries", [])
    if serialised:
        db.session.add(msg)
    else:
        nested = db.session.begin_nested()
        try:
            db.session.add(msg)
            db.session.flush()
            nested.commit()
        except IntegrityError:  # a concurrent twin took the dedupe key
            nested.rollback()
            return None
    now = utcnow()
    for contact in {c.id: c for c in recipients}.values():
        usable = contact.usable_channels()
        if is_exercise:
            usable = [c for c in usable if c == "inapp"]
        if channels:
            usable = [c for c in usable if c in channels] or usable
        address = contact.address_for(usable[0]) if usable else None
        if address:
            msg.deliveries.append(
                Delivery(
                    contact_id=contact.id,
                    channel=usable[0],
                    address=address,
                    status=DeliveryStatus.QUEUED,
                    next_attempt_at=now,
                )
            )
    db.session.flush()
    return msg


def _add_delivery(
    msg: Message, contact: Contact, channel: str, escalated_from: Delivery | None = None
) -> Delivery | None:
    address = contact.address_for(channel)
    if not address:
        return None
    existing = db.session.scalar(
        select(Delivery).where(
            Delivery.message_id == msg.id, Delivery.contact_id == contact.id, Delivery.channel == channel
        )
    )
    if existing:
        return None
    d = Delivery(
        message_id=msg.id,
        contact_id=contact.id,
        channel=channel,
        address=address,
        status=DeliveryStatus.QUEUED,
        next_attempt_at=utcnow(),
        escalated_from_id=escalated_from.id if escalated_from else None,
    )
    db.session.add(d)
    db.session.flush()
    return d


def queued_ids(message: Message) -> list[int]:
    return [d.id for d in message.deliveries if d.status == DeliveryStatus.QUEUED]


# ---------------------------------------------------------------- sending


def claim(delivery_id: int) -> Delivery | None:
    """queued → sending, atomically; None if another worker has it or it is done."""
    now = utcnow()
    result = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == DeliveryStatus.QUEUED,
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now + timedelta(seconds=1)),
        )
        .values(status=DeliveryStatus.SENDING, claimed_at=now, attempts=Delivery.attempts + 1, updated_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return db.session.scalars(
        select(Delivery).where(Delivery.id == delivery_id).execution_options(populate_existing=True)
    ).one()


def ack_token(delivery_id: int) -> str:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=ACK_SALT).dumps(delivery_id)


def read_ack_token(token: str, max_age_hours: int = 72) -> int | None:
    try:
        value = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=ACK_SALT).loads(
            token, max_age=max_age_hours * 3600
        )
    except (BadSignature, SignatureExpired):
        return None
    return int(value) if isinstance(value, int) else None


def ack_url(delivery_id: int) -> str:
    # Built from SIAGA_BASE_URL, not url_for: tasks run outside any request.
    return f"{current_app.config['SIAGA_BASE_URL'].rstrip('/')}/ack/{ack_token(delivery_id)}"


def outgoing_for(delivery: Delivery) -> Any:
    from siaga.messaging.channels import OutgoingMessage

    msg = delivery.message
    body = msg.body_id
    if delivery.channel in ("email", "webhook"):
        body = f"{msg.body_id}\n\n---\n{msg.body_en}"
    link = ack_url(delivery.id) if msg.requires_ack else msg.link
    if msg.link and msg.requires_ack:
        body = f"{body}\n{msg.link}"
    if msg.requires_ack:
        body = f"{body}\nKonfirmasi / Acknowledge:"
    return OutgoingMessage(
        text=body,
        subject=msg.subject,
        link=link,
        idempotency_key=f"siaga-delivery-{delivery.id}",
        metadata={"message_id": str(msg.id), "kind": msg.kind, "severity": str(msg.severity)},
    )


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter; a provider's retry_after wins when longer."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(attempt - 1, 0))
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security
    return max(delay, retry_after or 0.0)


@dataclass(frozen=True)
class Outcome:
    status: str  #: sent, delivered, retry, failed, skipped
    retry_in: float | None = None
    follow_up_ids: tuple[int, ...] = ()


def channel_settings() -> Mapping[str, str]:
    return current_app.config["SIAGA_CHANNEL_SETTINGS"]


def process(delivery_id: int, channel_factory: Any = None) -> Outcome:
    """Claim (and commit the claim), then send one delivery; the caller commits the result.

    The claim is committed before the provider is called so that a second run of the task,
    even on another worker, finds nothing to claim and never sends again.
    """
    d = claim(delivery_id)
    if d is None:
        db.session.rollback()
        return Outcome("skipped")
    db.session.commit()
    return send_claimed(d, channel_factory)


def send_claimed(d: Delivery, channel_factory: Any = None) -> Outcome:
    now = utcnow()
    if d.channel == "inapp":
        d.status = DeliveryStatus.DELIVERED
        d.sent_at = d.delivered_at = now
        return Outcome("delivered")
    from siaga.messaging.channels import ChannelError, build_channel

    try:
        channel = (channel_factory or build_channel)(d.channel, channel_settings())
    except ChannelError as exc:
        return _fail(d, f"channel not configured: {exc}")
    address, outgoing = d.address, outgoing_for(d)
    # Never hold a database transaction (on SQLite: the write lock) over a network call.
    db.session.commit()
    try:
        result = channel.send(address, outgoing)
    finally:
        channel.close()
    now = utcnow()
    if result.ok:
        d.status = DeliveryStatus.SENT
        d.sent_at = now
        d.provider_id = (result.provider_id or "")[:200] or None
        d.last_error = None
        return Outcome("sent")
    d.last_error = (result.error or "error")[:500]
    if result.permanent_failure or d.attempts >= MAX_ATTEMPTS:
        return _fail(d, d.last_error)
    delay = backoff_seconds(d.attempts, result.retry_after)
    d.status = DeliveryStatus.QUEUED
    d.next_attempt_at = now + timedelta(seconds=delay)
    return Outcome("retry", retry_in=delay)


def _fail(d: Delivery, error: str) -> Outcome:
    d.status = DeliveryStatus.FAILED
    d.last_error = error[:500]
    nxt = next_channel_delivery(d)
    return Outcome("failed", follow_up_ids=(nxt.id,) if nxt else ())


def next_channel_delivery(d: Delivery) -> Delivery | None:
    """A new delivery of the same message on the contact's next channel, if any."""
    tried = set(
        db.session.scalars(
            select(Delivery.channel).where(
                Delivery.message_id == d.message_id, Delivery.contact_id == d.contact_id
            )
        )
    )
    order = d.contact.usable_channels()
    if d.message.is_exercise:
        order = [c for c in order if c == "inapp"]
    for channel in order:
        if channel not in tried:
            return _add_delivery(d.message, d.contact, channel, escalated_from=d)
    return None


# ---------------------------------------------------------------- acknowledgements


def acknowledge(delivery: Delivery, via: str) -> int:
    """Acknowledge every delivery of this message to this contact; returns how many changed."""
    now = utcnow()
    rows = db.session.scalars(
        select(Delivery).where(
            Delivery.message_id == delivery.message_id, Delivery.contact_id == delivery.contact_id
        )
    ).all()
    changed = 0
    for row in rows:
        if row.acknowledged_at is None:
            row.acknowledged_at = now
            row.ack_via = via
            if row.status != DeliveryStatus.FAILED:
                row.status = DeliveryStatus.ACKNOWLEDGED
            changed += 1
    db.session.flush()
    return changed


def mark_read(delivery: Delivery) -> None:
    if delivery.read_at is None:
        delivery.read_at = utcnow()
        db.session.flush()


# ---------------------------------------------------------------- beat work


def sweep(now: datetime | None = None) -> list[int]:
    """Ids to (re-)enqueue: queued and due, or stuck in sending past the timeout."""
    now = now or utcnow()
    timeout = timedelta(seconds=current_app.config["SIAGA_SENDING_TIMEOUT_SECONDS"])
    db.session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < now - timeout)
        .values(
            status=DeliveryStatus.QUEUED,
            next_attempt_at=now,
            last_error="re-queued: worker lost",
            updated_at=now,
        )
    )
    due = db.session.scalars(
        select(Delivery.id)
        .where(
            Delivery.status == DeliveryStatus.QUEUED,
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        )
        .limit(1000)
    ).all()
    return list(due)


def ack_deadline_minutes(severity: int) -> int:
    table: Mapping[int, int] = current_app.config.get("SIAGA_ACK_MINUTES") or DEFAULT_ACK_MINUTES
    return int(table.get(severity, 60))


def escalate(now: datetime | None = None) -> list[int]:
    """Re-send unacknowledged alerts on the next channel and tell the coordinators; new delivery ids."""
    now = now or utcnow()
    new_ids: list[int] = []
    msgs = db.session.scalars(
        select(Message).where(
            Message.requires_ack.is_(True),
            Message.kind != "not_acknowledged",
            Message.created_at >= now - timedelta(days=3),
        )
    ).all()
    for msg in msgs:
        deadline = timedelta(minutes=ack_deadline_minutes(msg.severity))
        by_contact: dict[int, list[Delivery]] = {}
        for d in msg.deliveries:
            by_contact.setdefault(d.contact_id, []).append(d)
        late: list[Contact] = []
        for deliveries in by_contact.values():
            if any(d.acknowledged_at for d in deliveries):
                continue
            latest = max(deliveries, key=lambda d: d.created_at)
            if latest.status in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING):
                continue
            if latest.created_at > now - deadline:
                continue
            nxt = next_channel_delivery(latest)
            if nxt is not None:
                new_ids.append(nxt.id)
                late.append(latest.contact)
        if late:
            notice = create_message(
                kind="not_acknowledged",
                facts={
                    "subject": msg.subject,
                    "count": len(late),
                    "minutes": int(deadline.total_seconds() // 60),
                    "names": ", ".join(c.name for c in late)[:500],
                },
                recipients=coordinators_on_duty(),
                severity=1,
                requires_ack=False,
                source={"message_id": msg.id},
                dedupe_key=f"noack:{msg.id}:{len(late)}:{now:%Y%m%d%H%M}",
                channels=["inapp"],
            )
            if notice:
                new_ids.extend(queued_ids(notice))
    return new_ids


# ---------------------------------------------------------------- board


@dataclass(frozen=True)
class BoardRow:
    contact: Contact
    deliveries: list[Delivery]

    @property
    def received(self) -> bool:
        return any(
            d.status in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.ACKNOWLEDGED)
            for d in self.deliveries
        )

    @property
    def read(self) -> bool:
        return any(d.read_at for d in self.deliveries) or self.acknowledged

    @property
    def acknowledged(self) -> bool:
        return any(d.acknowledged_at for d in self.deliveries)


def board(message: Message) -> list[BoardRow]:
    rows: dict[int, list[Delivery]] = {}
    for d in message.deliveries:
        rows.setdefault(d.contact_id, []).append(d)
    out = [BoardRow(contact=ds[0].contact, deliveries=ds) for ds in rows.values()]
    return sorted(out, key=lambda r: (r.acknowledged, r.received, r.contact.name))


def inbox_for(user: User, limit: int = 100) -> list[Delivery]:
    contact = db.session.scalar(select(Contact).where(Contact.user_id == user.id))
    if contact is None:
        return []
    return list(
        db.session.scalars(
            select(Delivery)
            .where(Delivery.contact_id == contact.id, Delivery.channel == "inapp")
            .order_by(Delivery.created_at.desc())
            .limit(limit)
        )
    )


def unread_count(user: User) -> int:
    contact_id = db.session.scalar(select(Contact.id).where(Contact.user_id == user.id))
    if contact_id is None:
        return 0
    return (
        db.session.scalar(
            select(func.count(Delivery.id)).where(
                and_(
                    Delivery.contact_id == contact_id, Delivery.channel == "inapp", Delivery.read_at.is_(None)
                )
            )
        )
        or 0
    )


def validate_contact_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise and check a contact's addresses; raise ValidationFailed with field errors."""
    from siaga.messaging.channels.phone import normalize_msisdn
    from siaga.messaging.channels.webhook import internal_address_reason

    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = "is required"
    out["name"] = name[:200]
    phone = str(data.get("phone") or "").strip()
    if phone:
        try:
            out["phone"] = normalize_msisdn(phone)
        except ValueError as exc:
            errors["phone"] = str(exc)
    else:
        out["phone"] = None
    email = str(data.get("email") or "").strip()
    if email and ("@" not in email or len(email) > 254):
        errors["email"] = "not a valid e-mail address"
    out["email"] = email or None
    chat = str(data.get("telegram_chat_id") or "").strip()
    if chat and not re.fullmatch(r"-?[0-9]{1,20}", chat) and not chat.startswith("@"):
        errors["telegram_chat_id"] = "a numeric chat id or @channel"
    out["telegram_chat_id"] = chat or None
    url = str(data.get("webhook_url") or "").strip()
    if url and not url.startswith(("https://", "http://")):
        errors["webhook_url"] = "must start with https://"
    elif url:
        settings = current_app.config.get("SIAGA_CHANNEL_SETTINGS") or {}
        allowed = str(settings.get("WEBHOOK_ALLOW_PRIVATE") or "").strip().lower() in (
            "1",
            "true",
            "yes",
            "on",
        )
        reason = None if allowed else internal_address_reason(urlsplit(url).hostname or "", resolve=False)
        if reason:
            errors["webhook_url"] = "must be an address outside the task force's network"
    out["webhook_url"] = url or None
    order = [c.strip() for c in data.get("channel_order", []) if c and c.strip()]
    bad = [c for c in order if c not in CHANNELS]
    if bad:
        errors["channel_order"] = f"unknown channel(s): {', '.join(bad)}"
    out["channel_order"] = order
    out["function"] = str(data.get("function") or "").strip() or None
    if errors:
        raise ValidationFailed(errors)
    return out
