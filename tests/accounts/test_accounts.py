"""Login, throttling, CSRF, API tokens, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from siaga.accounts.models import ApiToken
from tests.conftest import login


def test_password_is_hashed_with_scrypt(users):
    assert users["admin"].password_hash.startswith("scrypt:")
    assert "test-password" not in users["admin"].password_hash


def test_wrong_password_shows_reason(client, users):
    resp = login(client, users["field"].email, "wrong-password")
    assert resp.status_code == 401
    body = resp.get_data(as_text=True)
    assert "salah" in body or "Wrong" in body


def test_login_throttled_after_five_failures(client, users):
    email = users["partner"].email
    for _ in range(5):
        assert login(client, email, "nope-nope-nope").status_code == 401
    resp = login(client, email)  # right password, but throttled
    assert resp.status_code == 429
    body = resp.get_data(as_text=True)
    assert "15" in body and ("Terlalu banyak" in body or "Too many" in body)


def test_throttle_is_per_account(client, users):
    for _ in range(5):
        login(client, users["partner"].email, "nope-nope-nope")
    assert login(client, users["field"].email).status_code == 302


def test_csrf_enforced_on_forms(app, client, users, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    resp = client.post("/login", data={"email": users["admin"].email, "password": "test-password-123"})
    assert resp.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_logout(client, users):
    login(client, users["field"].email)
    assert client.get("/dashboard").status_code == 200
    client.post("/logout")
    assert client.get("/dashboard").status_code == 302


def test_navigation_by_role(client, users):
    login(client, users["field"].email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'data-endpoint="audit.event_list"' not in page
    assert 'data-endpoint="accounts.user_list"' not in page
    client.post("/logout")
    login(client, users["admin"].email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'data-endpoint="audit.event_list"' in page
    assert 'data-endpoint="accounts.user_list"' in page


def test_token_shown_once_stored_hashed_and_revocable(client, users, db_session):
    login(client, users["coordinator"].email)
    page = client.post("/account/tokens", data={"name": "hp lapangan"}).get_data(as_text=True)
    token = page.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("sgb_")
    stored = db_session.scalars(select(ApiToken).where(ApiToken.name == "hp lapangan")).one()
    assert stored.token_hash != token and token not in stored.token_hash
    assert token not in client.get("/account/tokens").get_data(as_text=True)
    client.post("/logout")

    api = client.application.test_client()
    resp = api.get("/dashboard", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200  # the token carries the coordinator's role
    assert api.get("/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    login(client, users["coordinator"].email)
    client.post(f"/account/tokens/{stored.id}/revoke")
    fresh = client.application.test_client()
    assert fresh.get("/healthz").status_code in (200, 503)
    assert fresh.get("/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 302


def test_token_carries_role_limits(client, users):
    from siaga.accounts.services import create_api_token

    _t, plain = create_api_token(users["field"], "x")
    resp = client.get("/audit", headers={"Authorization": f"Bearer {plain}"})
    assert resp.status_code == 403


def test_token_last_used_is_written_at_most_once_a_minute(client, users, db_session):
    from datetime import timedelta

    from siaga.accounts.services import create_api_token
    from siaga.db import utcnow

    tok, plain = create_api_token(users["coordinator"], "x")
    headers = {"Authorization": f"Bearer {plain}"}
    assert tok.last_used_at is None
    assert client.get("/dashboard", headers=headers).status_code == 200
    db_session.refresh(tok)
    first = tok.last_used_at
    assert first is not None
    assert client.get("/dashboard", headers=headers).status_code == 200
    db_session.refresh(tok)
    assert tok.last_used_at == first  # within the minute: not written again
    tok.last_used_at = utcnow() - timedelta(minutes=2)
    db_session.flush()
    assert client.get("/dashboard", headers=headers).status_code == 200
    db_session.refresh(tok)
    assert tok.last_used_at > first


def test_bogus_bearer_is_anonymous(client, users):
    assert client.get("/audit", headers={"Authorization": "Bearer sgb_nope"}).status_code == 302


def test_cannot_revoke_someone_elses_token(client, users):
    from siaga.accounts.services import create_api_token

    tok, _ = create_api_token(users["coordinator"], "x")
    login(client, users["field"].email)
    assert client.post(f"/account/tokens/{tok.id}/revoke").status_code == 404


def test_admin_creates_user_and_bad_input_is_shown(client, users, make_org):
    org = make_org()
    login(client, users["admin"].email)
    resp = client.post(
        "/admin/users",
        data={
            "email": "baru@siaga.example",
            "name": "Baru",
            "role": "field",
            "organisation_id": org.id,
            "password": "short",
        },
    )
    assert resp.status_code == 422
    assert "10" in resp.get_data(as_text=True)
    resp = client.post(
        "/admin/users",
        data={
            "email": "baru@siaga.example",
            "name": "Baru",
            "role": "field",
            "organisation_id": org.id,
            "password": "long-enough-pw",
        },
    )
    assert resp.status_code == 200
    assert "baru@siaga.example" in resp.get_data(as_text=True)


@pytest.mark.parametrize("role", ["admin", "coordinator", "partner", "field"])
def test_each_role_logs_in(client, users, role):
    assert login(client, users[role].email).status_code == 302
    page = client.get("/dashboard").get_data(as_text=True)
    assert f'data-role="{role}"' in page
