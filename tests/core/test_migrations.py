"""One Alembic head, and models and migrations agree."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from siaga.db import render_alembic_item


def test_single_head(app):
    migrate = app.extensions["migrate"]
    with app.app_context():
        config = migrate.migrate.get_config()
        heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_models_match_migrations(app):
    from siaga.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True, "render_item": render_alembic_item}
        )
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], diff
