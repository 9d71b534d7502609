"""Helpers for CLI commands: run as the ``cli`` actor, turn bad input into a clear exit."""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable
from typing import Any, TypeVar

import click

from siaga.core.context import Actor, acting_as
from siaga.core.errors import Conflict, ValidationFailed
from siaga.extensions import db

F = TypeVar("F", bound=Callable[..., Any])


def cli_command(fn: F) -> F:
    """Run inside the ``cli`` actor; commit on success; print field errors and exit 1 on bad input."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            label = f"cli:{getpass.getuser()}"
        except Exception:  # no login name in some containers
            label = "cli"
        with acting_as(Actor(user_id=None, label=label, via="cli")):
            try:
                result = fn(*args, **kwargs)
                db.session.commit()
                return result
            except ValidationFailed as exc:
                db.session.rollback()
                for field, reason in exc.errors.items():
                    click.echo(f"error: {field}: {reason}", err=True)
                raise SystemExit(1) from None
            except Conflict as exc:
                db.session.rollback()
                click.echo(f"error: {exc}", err=True)
                raise SystemExit(1) from None

    return wrapper  # type: ignore[return-value]
