"""``Idempotency-Key`` for API writes: a retried request applies once and gets the same answer.

Field teams on weak connections retry. The key is stored with the response in the same
transaction as the write; a concurrent duplicate waits on the unique index and then replays.
The same key with a different request is refused with 422.

Also here: :func:`after_commit` (run a callback once the request's transaction has
committed), :func:`enqueue_after_commit` (message deliveries, the usual such callback) and
:func:`replays_twin` (for writes that lock a row and would answer a retry's twin with 409).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Response, jsonify, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from siaga.core.errors import Conflict
from siaga.core.models import IdempotencyRecord
from siaga.extensions import db

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"
KEY_CHARS = re.compile(r"[\x21-\x7e]{1,200}")


def _request_hash() -> str:
    h = hashlib.sha256()
    h.update(request.method.encode())
    h.update(b"\0")
    h.update(request.path.encode())
    h.update(b"\0")
    h.update(request.get_data(cache=True))
    return h.hexdigest()


def _replay(record: IdempotencyRecord, req_hash: str) -> Response:
    if record.request_hash != req_hash:
        resp = jsonify(
            error="validation failed",
            fields={HEADER: "this key was already used for a different request"},
        )
        resp.status_code = 422
        return resp
    resp = jsonify(record.response)
    resp.status_code = record.status_code
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def _find(key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == current_user.id, IdempotencyRecord.key == key
        )
    )


def after_commit(callback: Callable[[], Any]) -> None:
    """Run ``callback`` once the request's transaction has committed (e.g. enqueue tasks)."""
    from flask import g

    g.setdefault("after_commit", []).append(callback)


def enqueue_after_commit(delivery_ids: Iterable[int]) -> None:
    """Send these queued message deliveries once the request's transaction has committed
    (handed to the broker by a background thread: :func:`siaga.messaging.tasks.enqueue_soon`)."""
    ids = list(delivery_ids)
    if ids:
        from siaga.messaging.tasks import enqueue_soon

        after_commit(lambda: enqueue_soon(ids))  # the answer does not wait for the broker


def _run_after_commit() -> None:
    from flask import g

    for callback in g.pop("after_commit", []):
        callback()


def idempotent(view: F) -> F:
    """Wrap a JSON write view that returns ``(body, status)`` and does not commit itself.

    Without the header the view runs as usual (and commits). With it, the first request's
    answer is stored and later ones replay it.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = (request.headers.get(HEADER) or "").strip()
        if not key:
            body, status = view(*args, **kwargs)
            if status < 400:
                db.session.commit()
                _run_after_commit()
            else:
                db.session.rollback()
            return jsonify(body), status
        if len(key) > 200 or not KEY_CHARS.fullmatch(key):
            return jsonify(
                error="validation failed", fields={HEADER: "1 to 200 visible ASCII characters"}
            ), 422
        req_hash = _request_hash()
        existing = _find(key)
        if existing is not None:
            return _replay(existing, req_hash)
        try:
            body, status = view(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise
        if status >= 400:
            # Failed requests are not stored: the client may fix the cause and retry with the key.
            db.session.rollback()
            return jsonify(body), status
        db.session.add(
            IdempotencyRecord(
                user_id=current_user.id, key=key, request_hash=req_hash, status_code=status, response=body
            )
        )
        try:
            db.session.commit()
        except IntegrityError:
            # A concurrent twin committed first: drop our work and replay its answer.
            db.session.rollback()
            twin = _find(key)
            if twin is None:
                raise
            return _replay(twin, req_hash)
        _run_after_commit()
        return jsonify(body), status

    return wrapper  # type: ignore[return-value]


def replays_twin(view: F) -> F:
    """Under ``@idempotent``: a retry that lost the race to its twin answers as the twin did.

    Status changes lock their row first, so a concurrent retry with the same key waits,
    then finds the change already made and would answer 409. If the twin has committed an
    answer for this key, hand it back instead; ``@idempotent`` then finds the stored key
    and replays it (or refuses a different request under the same key).
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except Conflict:
            key = (request.headers.get(HEADER) or "").strip()
            if not key:
                raise
            db.session.rollback()
            twin = _find(key)
            if twin is None:
                raise
            return twin.response, twin.status_code

    return wrapper  # type: ignore[return-value]
