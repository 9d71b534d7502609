"""Aid logistics JSON API."""

from __future__ import annotations

from flask import Blueprint

from siaga.extensions import csrf

bp = Blueprint("aid_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
