"""The audit log page for coordinators, with filters."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from siaga.audit.services import query_events
from siaga.core.auth import OPERATIONS, roles_required
from siaga.core.http_input import MAX_ID
from siaga.core.params import int_arg

bp = Blueprint("audit", __name__)


@bp.get("/audit")
@roles_required(OPERATIONS)
def event_list() -> str:
    filters = {
        k: (request.args.get(k) or "").strip() or None
        for k in ("entity_type", "entity_id", "actor", "via", "action")
    }
    page = int_arg("page", 1, lo=1, hi=MAX_ID)
    events = query_events(**filters, limit=100, offset=(page - 1) * 100)
    return render_template("audit/list.html", events=events, filters=filters, page=page)
