"""Flask extensions, created unbound and initialised in :func:`siaga.create_app`."""

from __future__ import annotations

from typing import Any

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as _FSASession
from flask_wtf import CSRFProtect

from siaga.db import Base


class SiagaSession(_FSASession):
    """Flask-SQLAlchemy's session, but an explicit ``bind`` wins.

    Flask-SQLAlchemy picks the engine by bind key and ignores a session's own bind;
    the per-test transaction rollback binds the session to one connection, so that
    bind must be honoured. With no explicit bind (production) nothing changes.
    """

    def get_bind(
        self, mapper: Any | None = None, clause: Any | None = None, bind: Any | None = None, **kw: Any
    ) -> Any:
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kw)


db = SQLAlchemy(model_class=Base, session_options={"class_": SiagaSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

__all__ = ["SiagaSession", "babel", "csrf", "db", "login_manager", "migrate"]
