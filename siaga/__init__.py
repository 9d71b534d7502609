"""Siaga Bencana: disaster preparedness and coordination for Polres task forces."""

from __future__ import annotations

from typing import Any

from flask import Flask

from siaga.config import PROJECT_ROOT, build_config, instance_path

__version__ = "0.1.0"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app. Does no I/O beyond creating the instance folder."""
    inst = instance_path()
    app = Flask(
        __name__,
        instance_path=str(inst),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(build_config(dict(config or {})))
    app.config["SIAGA_VERSION"] = __version__
    inst.mkdir(parents=True, exist_ok=True)

    import siaga.models  # noqa: F401  (register every table)
    from siaga.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    from siaga.db import render_alembic_item

    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_alembic_item,
    )
    csrf.init_app(app)
    login_manager.init_app(app)

    from siaga.core.i18n import init_i18n

    init_i18n(app, babel)

    with app.app_context():
        from siaga.db import configure_sqlite_engine

        configure_sqlite_engine(db.engine)

    from siaga.audit.services import install_audit_listener
    from siaga.extensions import SiagaSession

    install_audit_listener(SiagaSession)

    from siaga.accounts.views import init_login

    init_login(app, login_manager)

    from siaga.core.auth import init_auth

    init_auth(app)

    _register_blueprints(app)

    from siaga.core.errors_views import init_error_handlers

    init_error_handlers(app)

    from siaga.core.templating import init_templating

    init_templating(app)

    from siaga.cli import register_cli

    register_cli(app)

    from siaga.celery_app import celery_init_app

    celery_init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from siaga.core.http_input import init_input_guards

    init_input_guards(app)
    from siaga.accounts.views import bp as accounts_bp
    from siaga.aid.api import bp as aid_api_bp
    from siaga.aid.views import bp as aid_bp
    from siaga.audit.views import bp as audit_bp
    from siaga.core.views import bp as core_bp
    from siaga.hazards.api import bp as hazards_api_bp
    from siaga.hazards.views import bp as hazards_bp
    from siaga.maps.views import bp as maps_bp
    from siaga.messaging.views import bp as messaging_bp
    from siaga.registry.api import bp as registry_api_bp
    from siaga.registry.io_views import bp as registry_io_bp
    from siaga.registry.openapi import bp as api_docs_bp
    from siaga.registry.views import bp as registry_bp

    for bp in (
        core_bp,
        accounts_bp,
        audit_bp,
        registry_bp,
        registry_api_bp,
        maps_bp,
        aid_bp,
        aid_api_bp,
        messaging_bp,
        registry_io_bp,
        hazards_bp,
        hazards_api_bp,
        api_docs_bp,
    ):
        app.register_blueprint(bp)
