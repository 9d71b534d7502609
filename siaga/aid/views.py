"""Aid logistics pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("aid", __name__)
