"""Messaging pages: inbox, acknowledgement links, composer, board, recipients."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from siaga.accounts.models import Organisation, Role
from siaga.core.auth import ALL_ROLES, OPERATIONS, public, roles_required
from siaga.core.errors import ValidationFailed
from siaga.core.params import parse_id, parse_ids, parse_int
from siaga.extensions import db
from siaga.messaging import services
from siaga.messaging.models import (
    CHANNELS,
    Contact,
    Delivery,
    Group,
    GroupKind,
    GroupMember,
    Message,
    Subscription,
)
from siaga.messaging.tasks import enqueue

bp = Blueprint("messaging", __name__)


def _own_delivery(delivery_id: int) -> Delivery:
    d = db.session.get(Delivery, delivery_id)
    if d is None or d.contact.user_id != current_user.id:
        abort(404)
    return d


@bp.get("/inbox")
@roles_required(ALL_ROLES)
def inbox() -> str:
    items = services.inbox_for(current_user)
    return render_template("messaging/inbox.html", items=items)


@bp.post("/inbox/<int:delivery_id>/read")
@roles_required(ALL_ROLES)
def inbox_read(delivery_id: int) -> Response:
    services.mark_read(_own_delivery(delivery_id))
    db.session.commit()
    return redirect(url_for("messaging.inbox"))


@bp.post("/inbox/<int:delivery_id>/ack")
@roles_required(ALL_ROLES)
def inbox_ack(delivery_id: int) -> Response:
    d = _own_delivery(delivery_id)
    services.mark_read(d)
    services.acknowledge(d, "inbox")
    reply = (request.form.get("reply") or "").strip()
    if reply:
        d.reply_text = reply[:1000]
    db.session.commit()
    flash(_("Acknowledged. Thank you."), "success")
    return redirect(url_for("messaging.inbox"))


@bp.route("/ack/<token>", methods=["GET", "POST"])
@public
def ack(token: str) -> str | tuple[str, int]:
    """The signed link in every message: GET shows it (link previews must not acknowledge), POST acknowledges."""
    delivery_id = services.read_ack_token(token)
    d = db.session.get(Delivery, delivery_id) if delivery_id else None
    if d is None:
        return render_template("messaging/ack.html", delivery=None), 404
    done = False
    if request.method == "POST":
        services.acknowledge(d, "link")
        db.session.commit()
        done = True
    return render_template("messaging/ack.html", delivery=d, done=done, token=token)


@bp.get("/messages")
@roles_required(OPERATIONS)
def message_list() -> str:
    msgs = db.session.scalars(select(Message).order_by(Message.created_at.desc()).limit(200)).all()
    return render_template("messaging/list.html", messages=msgs, board=services.board)


@bp.get("/messages/<int:message_id>")
@roles_required(OPERATIONS)
def message_board(message_id: int) -> str:
    msg = db.session.get(Message, message_id)
    if msg is None:
        abort(404)
    return render_template("messaging/board.html", message=msg, rows=services.board(msg))


def _recipient_choices() -> dict[str, Any]:
    return {
        "groups": db.session.scalars(select(Group).order_by(Group.name)).all(),
        "contacts": db.session.scalars(
            select(Contact).where(Contact.is_active.is_(True)).order_by(Contact.name)
        ).all(),
    }


def _previews(subject: str, text: str) -> dict[str, str]:
    from siaga.messaging.channels.text import split_sms, truncate_telegram

    body = f"{text}\nKonfirmasi / Acknowledge: https://…/ack/…"
    return {
        "whatsapp": body,
        "telegram": truncate_telegram(body),
        "sms": "\n— — —\n".join(split_sms(text, "https://…/ack/…")),
        "email": f"Subject: {subject}\n\n{body}",
        "inapp": f"{subject}\n{text}",
    }


@bp.route("/messages/new", methods=["GET", "POST"])
@roles_required(OPERATIONS)
def compose() -> str | Response | tuple[str, int]:
    errors: dict[str, str] = {}
    form = request.form
    previews: dict[str, str] = {}
    if request.method == "POST":
        subject = (form.get("subject") or "").strip()
        text = (form.get("text") or "").strip()
        group_ids = parse_ids(form.getlist("groups"))
        contact_ids = parse_ids(form.getlist("contacts"))
        if not subject:
            errors["subject"] = _("is required")
        elif len(subject) > 200:
            errors["subject"] = _("must be at most %(limit)s characters", limit=200)
        if not text:
            errors["text"] = _("is required")
        elif len(text) > 3000:
            errors["text"] = _("must be at most %(limit)s characters", limit=3000)
        recipients: dict[int, Contact] = {}
        for g in db.session.scalars(select(Group).where(Group.id.in_(group_ids))):
            recipients.update({c.id: c for c in services.group_contacts(g)})
        for c in db.session.scalars(select(Contact).where(Contact.id.in_(contact_ids))):
            recipients[c.id] = c
        if not recipients and not errors:
            errors["recipients"] = _("choose at least one group or person")
        severity = parse_int(form.get("severity", "1"), 1, 4) or 1
        if not errors and form.get("action") == "send":
            msg = services.create_message(
                kind="broadcast",
                facts={"subject": subject, "text": text},
                recipients=recipients.values(),
                severity=severity,
                requires_ack=form.get("requires_ack") == "on",
            )
            db.session.commit()
            assert msg is not None
            enqueue(services.queued_ids(msg))
            flash(_("Message sent to %(n)d recipients.", n=len(recipients)), "success")
            return redirect(url_for("messaging.message_board", message_id=msg.id))
        if not errors:
            previews = _previews(subject, text)
    return render_template(
        "messaging/compose.html", errors=errors, form=form, previews=previews, **_recipient_choices()
    ), 422 if errors else 200


def _organisation_id() -> int | None:
    """The form's ``organisation_id``: blank is none; anything but a known organisation is an error."""
    raw = (request.form.get("organisation_id") or "").strip()
    if not raw:
        return None
    org_id = parse_id(raw)
    if org_id is None or db.session.get(Organisation, org_id) is None:
        raise ValidationFailed({"organisation_id": _("unknown organisation")})
    return org_id


@bp.route("/recipients", methods=["GET", "POST"])
@roles_required(OPERATIONS)
def recipients() -> str | Response | tuple[str, int]:
    errors: dict[str, str] = {}
    what = request.form.get("what")
    if request.method == "POST":
        try:
            if what == "contact":
                data = services.validate_contact_fields(
                    {**request.form.to_dict(), "channel_order": request.form.getlist("channel_order")}
                )
                db.session.add(Contact(**data, organisation_id=_organisation_id()))
            elif what == "group":
                name = (request.form.get("name") or "").strip()
                kind = request.form.get("kind", "")
                if not name:
                    raise ValidationFailed({"name": _("is required")})
                if kind not in {k.value for k in GroupKind}:
                    raise ValidationFailed(
                        {
                            "kind": _(
                                "must be one of: %(choices)s", choices="organisation, role, region, manual"
                            )
                        }
                    )
                group = Group(
                    name=name[:200],
                    kind=GroupKind(kind),
                    organisation_id=_organisation_id(),
                    role=request.form.get("role") or None,
                    region_code=(request.form.get("region_code") or "").strip() or None,
                )
                db.session.add(group)
                db.session.flush()
                member_ids = parse_ids(request.form.getlist("members"))
                for cid in db.session.scalars(select(Contact.id).where(Contact.id.in_(member_ids))):
                    db.session.add(GroupMember(group_id=group.id, contact_id=cid))
            elif what == "subscription":
                region = (request.form.get("region_code") or "").strip()
                gid = parse_id(request.form.get("group_id"))
                if not region:
                    raise ValidationFailed({"region_code": _("is required")})
                if gid is None or db.session.get(Group, gid) is None:
                    raise ValidationFailed({"group_id": _("choose a group")})
                kind = request.form.get("hazard_kind", "any")
                if kind not in ("earthquake", "tsunami", "weather", "any"):
                    raise ValidationFailed(
                        {
                            "hazard_kind": _(
                                "must be one of: %(choices)s", choices="earthquake, tsunami, weather, any"
                            )
                        }
                    )
                sev = parse_int(request.form.get("min_severity", "2"), 1, 4)
                if sev is None:
                    raise ValidationFailed(
                        {"min_severity": _("must be one of: %(choices)s", choices="1, 2, 3, 4")}
                    )
                db.session.add(
                    Subscription(region_code=region, hazard_kind=kind, min_severity=sev, group_id=gid)
                )
            else:
                abort(400)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("messaging.recipients"))
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
    return render_template(
        "messaging/recipients.html",
        errors=errors,
        form=request.form,
        what=what,
        contacts=db.session.scalars(select(Contact).order_by(Contact.name)).all(),
        groups=db.session.scalars(select(Group).order_by(Group.name)).all(),
        subscriptions=db.session.scalars(select(Subscription).order_by(Subscription.region_code)).all(),
        orgs=db.session.scalars(select(Organisation).order_by(Organisation.name)).all(),
        channels=CHANNELS,
        roles=[r.value for r in Role],
    ), 422 if errors else 200
