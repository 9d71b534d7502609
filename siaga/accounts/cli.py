"""``flask users create`` and ``flask users token``."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from siaga.accounts import services
from siaga.accounts.models import Organisation, OrgType, Role
from siaga.core.clihelp import cli_command
from siaga.core.errors import ValidationFailed
from siaga.extensions import db

users_cli = AppGroup("users", help="Manage users and API tokens.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", default=None, help="Display name (defaults to the e-mail's local part).")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--org", "org_name", required=True, help="Organisation name; created if new (then --org-type).")
@click.option("--org-type", type=click.Choice([t.value for t in OrgType]), default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--phone", default=None)
@cli_command
def create_user(
    email: str,
    name: str | None,
    role: str,
    org_name: str,
    org_type: str | None,
    password: str,
    phone: str | None,
) -> None:
    """Create a user in an organisation."""
    org = db.session.scalar(select(Organisation).where(Organisation.name == org_name))
    if org is None:
        if org_type is None:
            raise ValidationFailed(
                {"org": f"organisation {org_name!r} does not exist; give --org-type to create it"}
            )
        org = services.get_or_create_organisation(org_name, org_type)
    user = services.create_user(
        email=email,
        name=name or email.split("@")[0],
        password=password,
        role=role,
        organisation=org,
        phone=phone,
    )
    click.echo(f"created user {user.email} ({user.role.value}, {org.name})")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="A label to recognise the token by.")
@cli_command
def create_token(email: str, name: str) -> None:
    """Create an API token for EMAIL and print it once."""
    user = services.get_user_by_email(email)
    if user is None:
        raise ValidationFailed({"email": f"no user with e-mail {email!r}"})
    _token, plain = services.create_api_token(user, name)
    click.echo(plain)
