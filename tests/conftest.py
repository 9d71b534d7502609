"""Shared fixtures: the app on SQLite (default) or on the PostgreSQL/Redis named by
``SIAGA_TEST_DATABASE_URL`` / ``SIAGA_TEST_BROKER_URL``, per-test transaction rollback,
logged-in clients per role.

When those variables are set and the servers are unreachable the run fails at once:
it never silently falls back to SQLite or skips.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, scoped_session

TEST_DB_URL = os.environ.get("SIAGA_TEST_DATABASE_URL")
TEST_BROKER_URL = os.environ.get("SIAGA_TEST_BROKER_URL")
PASSWORD = "test-password-123"


def _fail(msg: str) -> None:
    pytest.exit(msg, returncode=3)


def _check_reachable(db_url: str | None, broker_url: str | None) -> None:
    if db_url:
        try:
            eng = create_engine(db_url)
            with eng.connect() as c:
                c.execute(text("SELECT 1"))
            eng.dispose()
        except Exception as exc:
            _fail(f"SIAGA_TEST_DATABASE_URL is set but unreachable: {exc}")
    if broker_url and broker_url.startswith("redis"):
        import redis

        try:
            redis.Redis.from_url(broker_url, socket_connect_timeout=3).ping()
        except Exception as exc:
            _fail(f"SIAGA_TEST_BROKER_URL is set but unreachable: {exc}")


def _reset_database(url: str) -> None:
    """Start from an empty schema (the test database belongs to the tests)."""
    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        if eng.dialect.name == "postgresql":
            c.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
    eng.dispose()


@pytest.fixture(scope="session")
def backend_urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if bool(TEST_DB_URL) != bool(TEST_BROKER_URL):
        _fail("set both SIAGA_TEST_DATABASE_URL and SIAGA_TEST_BROKER_URL, or neither")
    _check_reachable(TEST_DB_URL, TEST_BROKER_URL)
    base = tmp_path_factory.mktemp("siaga")
    return {
        "db": TEST_DB_URL or f"sqlite:///{base / 'test.sqlite'}",
        "broker": TEST_BROKER_URL or f"sqla+sqlite:///{base / 'broker.sqlite'}",
        "instance": str(base / "instance"),
    }


@pytest.fixture(scope="session")
def app(backend_urls: dict[str, str]) -> Iterator[Flask]:
    os.environ["SIAGA_INSTANCE_PATH"] = backend_urls["instance"]
    from siaga import create_app

    _reset_database(backend_urls["db"])
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": backend_urls["db"],
            "WTF_CSRF_ENABLED": False,
            # cheap scrypt parameters: hashing strength is not under test, speed is
            "SIAGA_PASSWORD_METHOD": "scrypt:1024:8:1",
            "SIAGA_BASE_URL": "http://siaga.test",
            "CELERY": {"broker_url": backend_urls["broker"]},
        }
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        from flask_migrate import upgrade

        from siaga.extensions import db
        from siaga.regions.services import load_seed_regions

        upgrade()
        load_seed_regions()  # reference data, shared by all tests
        db.session.commit()
    yield app
    from siaga.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class _TestScopedSession(scoped_session):  # type: ignore[type-arg]
    """One session for the whole test; requests' teardown must not close it."""

    def remove(self) -> None:
        pass

    def really_remove(self) -> None:
        super().remove()


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (fresh ``g``), as in production.

    Without this, requests made inside the test's app context share ``g`` and with it
    Flask-Login's cached user, which would hide logout and token bugs.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@contextlib.contextmanager
def rollback_session(app: Flask) -> Iterator[Session]:
    """Bind ``db.session`` to one connection inside an outer transaction; roll it all back."""
    from siaga.extensions import SiagaSession, db

    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        factory = db._make_session_factory(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": SiagaSession}
        )
        session = _TestScopedSession(factory, scopefunc=lambda: "test")
        db.session = session
        try:
            yield session
        finally:
            session.really_remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test."""
    with rollback_session(app) as session:
        yield session


@pytest.fixture
def client(app: Flask, db_session: Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_org(db_session: Session) -> Any:
    from siaga.accounts.services import get_or_create_organisation

    def make(name: str = "Polres Test", org_type: str = "POLRES", region: str | None = "16.06") -> Any:
        return get_or_create_organisation(name, org_type, region)

    return make


@pytest.fixture
def make_user(db_session: Session, make_org: Any) -> Any:
    from siaga.accounts.services import create_user

    def make(role: str = "coordinator", email: str | None = None, org: Any = None) -> Any:
        return create_user(
            email=email or f"{role}@test.siaga",
            name=f"Test {role}",
            password=PASSWORD,
            role=role,
            organisation=org or make_org(),
        )

    return make


@pytest.fixture
def users(make_user: Any, make_org: Any) -> dict[str, Any]:
    partner_org = make_org("BPBD Test", "BPBD", "16.06")
    return {
        "admin": make_user("admin"),
        "coordinator": make_user("coordinator"),
        "partner": make_user("partner", org=partner_org),
        "field": make_user("field"),
    }


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def login_as(app: Flask, client: FlaskClient, users: dict[str, Any]) -> Any:
    def do(role: str) -> FlaskClient:
        resp = login(client, users[role].email)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return client

    return do


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def make_shelter(db_session: Session, users: dict[str, Any]) -> Any:
    from siaga.registry.schemas import ShelterIn
    from siaga.registry.services import create_shelter

    counter = iter(range(1, 10_000))

    def make(**kw: Any) -> Any:
        owner = kw.pop("owner", None) or users["coordinator"]
        data = {
            "code": f"T-{next(counter):04d}",
            "name": "Posko Test",
            "type": "school",
            "lat": -2.9761,
            "lon": 104.7754,
            "capacity": 100,
            "status": "open",
        }
        data.update(kw)
        return create_shelter(ShelterIn.model_validate(data), owner)

    return make


@pytest.fixture
def make_point(db_session: Session, users: dict[str, Any]) -> Any:
    from siaga.registry.schemas import PointIn
    from siaga.registry.services import create_point

    def make(**kw: Any) -> Any:
        owner = kw.pop("owner", None) or users["coordinator"]
        data = {"name": "Titik Kumpul Test", "kind": "assembly", "lat": -2.98, "lon": 104.76, "capacity": 200}
        data.update(kw)
        return create_point(PointIn.model_validate(data), owner)

    return make


@pytest.fixture
def route_objects(users: dict[str, Any], db_session: Session, make_shelter: Any, make_point: Any) -> Any:
    """Path parameters for the permission table, built per role."""
    from siaga.accounts.services import create_api_token
    from siaga.registry.services import assign_field_user

    shelter = make_shelter(name="Posko Polres")
    assign_field_user(shelter, users["field"])
    values: dict[str, Any] = {
        "shelter_id": shelter.id,
        "other_shelter_id": make_shelter(name="Posko lain").id,
        "partner_shelter_id": make_shelter(name="Posko BPBD", owner=users["partner"]).id,
        "point_id": make_point().id,
        "partner_point_id": make_point(owner=users["partner"]).id,
    }

    # Each domain may add objects in tests/<domain>/routes.py as build_objects(users, values) -> dict.
    import importlib
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("*/routes.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.routes")
        if hasattr(module, "build_objects"):
            values.update(module.build_objects(users, values))

    def build(role: str) -> dict[str, Any]:
        owner = users[role] if role in users else users["coordinator"]
        token, _plain = create_api_token(owner, "perm-test")
        return {**values, "own_token_id": token.id}

    return build


# ---------------------------------------------------------------- browser tests


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on 127.0.0.1 (threaded), for the browser tests.

    Requests run with the app's normal sessions (commits are real): browser tests create
    their own data and remove it.
    """
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def chromium_path() -> str:
    import shutil

    path = os.environ.get("SIAGA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        _fail("Chromium is not installed: ./scripts/test installs Debian's chromium package")
    return str(path)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (Playwright's own browser download is not used)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, artifacts_dir: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID")
    pg = context.new_page()
    try:
        yield pg
    finally:
        # The page may already be gone; the screenshot is only an artifact.
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(artifacts_dir / f"{request.node.name[:80]}.png"))
        context.close()


@pytest.fixture
def committed_users(app: Flask) -> Iterator[dict[str, Any]]:
    """One committed user per role (unique e-mails), deleted after the test, for live-server tests."""
    import uuid

    from sqlalchemy import delete

    from siaga.accounts.models import ApiToken, LoginAttempt, Organisation, User
    from siaga.accounts.services import create_user, get_or_create_organisation
    from siaga.extensions import db

    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        polres = get_or_create_organisation(f"Polres Live {tag}", "POLRES", "16.06")
        bpbd = get_or_create_organisation(f"BPBD Live {tag}", "BPBD", "16.06")
        made = {}
        for role, org in (("admin", polres), ("coordinator", polres), ("partner", bpbd), ("field", polres)):
            made[role] = create_user(
                email=f"{role}-{tag}@siaga.example",
                name=f"Live {role}",
                password=PASSWORD,
                role=role,
                organisation=org,
            )
        db.session.commit()
        info = {role: {"id": u.id, "email": u.email, "org_id": u.organisation_id} for role, u in made.items()}
        org_ids = [polres.id, bpbd.id]
    yield info
    with app.app_context():
        ids = [v["id"] for v in info.values()]
        db.session.execute(delete(ApiToken).where(ApiToken.user_id.in_(ids)))
        db.session.execute(
            delete(LoginAttempt).where(LoginAttempt.email.in_([v["email"] for v in info.values()]))
        )
        db.session.execute(delete(User).where(User.id.in_(ids)))
        db.session.commit()
        # Organisations may still own records a test left behind on purpose; keep them then.
        try:
            db.session.execute(delete(Organisation).where(Organisation.id.in_(org_ids)))
            db.session.commit()
        except Exception:
            db.session.rollback()


def browser_login(page: Any, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/dashboard")
