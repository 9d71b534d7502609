"""``flask registry import|export shelters|points FILE``: CSV (with an HXL row) and GeoJSON.

An import reports every bad row as ``row 7, column lat: <reason>`` and exits 1 with nothing
written, unless ``--skip-invalid``; it upserts by code. The work is in :mod:`siaga.registry.io`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import click
from flask.cli import AppGroup
from sqlalchemy import select

from siaga.accounts.models import Organisation
from siaga.core.clihelp import cli_command
from siaga.core.errors import ValidationFailed
from siaga.extensions import db
from siaga.registry import io

registry_cli = AppGroup("registry", help="Import and export shelters and evacuation points.")

#: Files with more rows than this get a progress bar.
PROGRESS_MIN_ROWS = 200

_KIND = click.Choice(io.KINDS)
_FORMAT = click.Choice(io.FORMATS)


def _format(path: Path, fmt: str | None) -> io.Format:
    chosen = fmt or io.guess_format(path.name)
    if chosen is None:
        raise ValidationFailed(
            {"format": f"cannot tell the format from {path.name!r}; use .csv/.geojson or --format"}
        )
    return cast(io.Format, chosen)


@registry_cli.command("import")
@click.argument("kind", type=_KIND)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Write the good rows and skip the bad ones.")
@click.option("--org", "org_name", default=None, help="Owner organisation of rows without owner_org.")
@click.option("--format", "fmt", type=_FORMAT, default=None, help="Default: from the file extension.")
@cli_command
def import_cmd(kind: str, file: Path, skip_invalid: bool, org_name: str | None, fmt: str | None) -> None:
    """Import KIND (shelters or points) from FILE (CSV or GeoJSON), upserting by code."""
    default_org_id = None
    if org_name is not None:
        default_org_id = db.session.scalar(select(Organisation.id).where(Organisation.name == org_name))
        if default_org_id is None:
            raise ValidationFailed({"org": f"organisation {org_name!r} does not exist"})
    the_kind = cast(io.Kind, kind)
    parsed = io.parse_file(file.read_bytes(), the_kind, _format(file, fmt))

    def run(progress: Callable[[int], Any] | None = None) -> io.ImportReport:
        return io.import_records(
            parsed, user=None, default_org_id=default_org_id, skip_invalid=skip_invalid, progress=progress
        )

    if len(parsed.rows) > PROGRESS_MIN_ROWS:
        with click.progressbar(length=len(parsed.rows), label=f"importing {kind}", file=sys.stderr) as bar:
            report = run(bar.update)
    else:
        report = run()

    for column in report.ignored_columns:
        click.echo(f"note: column {column} is not imported", err=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for error in report.errors:
        click.echo(f"{'skipped: ' if report.applied else ''}{error}", err=True)
    if not report.applied:
        db.session.rollback()
        click.echo(f"nothing imported: {len({e.row for e in report.errors})} bad row(s)", err=True)
        raise SystemExit(1)
    click.echo(f"{kind}: {report.created} created, {report.updated} updated, {report.skipped} skipped")


@registry_cli.command("export")
@click.argument("kind", type=_KIND)
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--format", "fmt", type=_FORMAT, default=None, help="Default: from the file extension.")
@click.option("--contacts", is_flag=True, help="Include shelter managers' names and phone numbers.")
@cli_command
def export_cmd(kind: str, file: Path, fmt: str | None, contacts: bool) -> None:
    """Export every record of KIND (shelters or points) to FILE (CSV or GeoJSON; - for stdout)."""
    the_format: io.Format = (
        cast(io.Format, fmt) if fmt else ("csv" if str(file) == "-" else _format(file, None))
    )
    text = io.export_text(cast(io.Kind, kind), the_format, contacts=contacts)
    if str(file) == "-":
        click.echo(text, nl=False)
        return
    # CSV gets a BOM so that spreadsheets read it as UTF-8; GeoJSON (RFC 7946) must not.
    file.write_text(text, encoding="utf-8-sig" if the_format == "csv" else "utf-8", newline="")
    click.echo(f"{kind}: exported to {file}")
