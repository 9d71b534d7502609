"""Registers each domain's ``flask <domain> ...`` command group."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    from siaga.accounts.cli import users_cli
    from siaga.demo.cli import demo_cli
    from siaga.hazards.cli import hazards_cli
    from siaga.registry.cli import registry_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(hazards_cli)
    app.cli.add_command(registry_cli)
