"""CLI: users create / token, demo load; bad input names the reason and exits non-zero."""

from __future__ import annotations

from sqlalchemy import select

from siaga.audit.models import AuditEvent


def test_users_create_and_token(app, db_session):
    runner = app.test_cli_runner()
    res = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Ops@Siaga.example",
            "--role",
            "coordinator",
            "--org",
            "Polres Solok",
            "--org-type",
            "POLRES",
            "--password",
            "long-enough-pw",
        ]
    )
    assert res.exit_code == 0, res.output
    assert "ops@siaga.example" in res.output
    res = runner.invoke(args=["users", "token", "ops@siaga.example"])
    assert res.exit_code == 0 and res.output.strip().startswith("sgb_")
    ev = db_session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "users")).all()
    assert any(e.via == "cli" and e.after and e.after.get("email") == "ops@siaga.example" for e in ev)


def test_users_create_bad_input(app, db_session):
    runner = app.test_cli_runner()
    res = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@y.z",
            "--role",
            "field",
            "--org",
            "Nowhere",
            "--password",
            "long-enough-pw",
        ]
    )
    assert res.exit_code == 1
    assert "org" in res.output and "does not exist" in res.output
    res = runner.invoke(
        args=["users", "create", "--email", "x@y.z", "--role", "boss", "--org", "X", "--password", "p"]
    )
    assert res.exit_code == 2 and "boss" in res.output
    res = runner.invoke(args=["users", "token", "nobody@siaga.example"])
    assert res.exit_code == 1 and "no user" in res.output


def test_demo_load_is_idempotent(app, db_session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "already loaded" in second.output
