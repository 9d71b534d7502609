"""Registry import and export pages: upload a CSV/GeoJSON file, download the registry.

Import (admin, coordinator) answers 422 with a table of every bad row (row, column,
reason) and writes nothing, unless "skip invalid rows" is ticked. Export (admin,
coordinator, partner) downloads every shelter or evacuation point; the work is in
:mod:`siaga.registry.io`.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from siaga.core.auth import OPERATIONS, READERS, roles_required
from siaga.db import utcnow
from siaga.extensions import db
from siaga.registry import io, services

bp = Blueprint("registry_io", __name__, url_prefix="/registry")

MIMETYPES = {"csv": "text/csv", "geojson": "application/geo+json"}


@bp.route("/import", methods=["GET", "POST"])
@roles_required(OPERATIONS)
def import_page() -> str | tuple[str, int]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"kind": request.values.get("kind", "shelters")}
    report: io.ImportReport | None = None
    if request.method == "POST":
        values["skip_invalid"] = request.form.get("skip_invalid") in ("on", "1", "true", "y")
        kind = values["kind"]
        if kind not in io.KINDS:
            errors["kind"] = _("Choose shelters or evacuation points.")
        upload = request.files.get("file")
        fmt = io.guess_format(upload.filename) if upload and upload.filename else None
        if upload is None or not upload.filename:
            errors["file"] = _("Choose a file.")
        elif fmt is None:
            errors["file"] = _("The file name must end in .csv, .geojson or .json.")
        if not errors and upload is not None and fmt is not None:
            report = io.import_file(
                upload.read(),
                cast(io.Kind, kind),
                fmt,
                user=current_user,
                skip_invalid=values["skip_invalid"],
            )
            if report.applied:
                db.session.commit()
            else:
                db.session.rollback()
    failed = bool(errors) or (report is not None and not report.applied)
    return render_template(
        "registry/import.html",
        values=values,
        errors=errors,
        report=report,
        kinds=[("shelters", _("Shelters")), ("points", _("Evacuation points"))],
    ), 422 if failed else 200


@bp.get("/export/<any(shelters, points):kind>.<any(csv, geojson):fmt>")
@roles_required(READERS)
def export(kind: str, fmt: str) -> Response:
    the_format = cast(io.Format, fmt)
    text = io.export_text(cast(io.Kind, kind), the_format, contacts=services.can_see_contacts(current_user))
    # CSV gets a BOM so that spreadsheets read it as UTF-8; GeoJSON (RFC 7946) must not.
    body = text.encode("utf-8-sig" if the_format == "csv" else "utf-8")
    filename = f"{kind}-{utcnow():%Y%m%d-%H%M}.{fmt}"
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
