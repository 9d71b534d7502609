"""``flask demo load``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from siaga.core.clihelp import cli_command
from siaga.demo.services import DEMO_PASSWORD, DEMO_USERS, load_demo

demo_cli = AppGroup("demo", help="Demo data for the seed regions.")


@demo_cli.command("load")
@cli_command
def load() -> None:
    """Load demo organisations, users and data (idempotent)."""
    created = load_demo()
    click.echo(f"demo data: {len(created)} records created" if created else "demo data: already loaded")


@demo_cli.command("logins")
def logins() -> None:
    """Print the demo logins."""
    for email, _name, role, _org in DEMO_USERS:
        click.echo(f"  {role.value:<12} {email:<28} {DEMO_PASSWORD}")
