"""Celery entry point: ``celery -A celery_worker worker`` / ``celery -A celery_worker beat``."""

from siaga import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
