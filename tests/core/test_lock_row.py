"""lock_row: one UPDATE … RETURNING takes the row lock and loads the row, once per transaction."""

from __future__ import annotations

from sqlalchemy import event

from siaga.db import lock_row
from siaga.registry.models import Shelter


def _updates(db_session, fn):
    seen: list[str] = []

    def before(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE SHELTERS"):
            seen.append(statement)

    engine = db_session.get_bind().engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return result, len(seen)


def test_lock_row_locks_once_per_transaction_and_returns_fresh_values(db_session, make_shelter):
    shelter = make_shelter(name="Posko Kunci")
    db_session.commit()
    v0 = shelter.version
    # the row changed behind the ORM's back: the lock's RETURNING refreshes our copy
    db_session.execute(Shelter.__table__.update().values(name="Posko Kunci (ubah)"))
    got, n = _updates(db_session, lambda: lock_row(Shelter, shelter.id))
    assert got is shelter and n == 1 and got.version == v0 + 1 and got.name == "Posko Kunci (ubah)"
    again, n = _updates(db_session, lambda: lock_row(Shelter, shelter.id))
    assert again is shelter and n == 0 and again.version == v0 + 1  # same transaction: no SQL
    db_session.commit()
    _, n = _updates(db_session, lambda: lock_row(Shelter, shelter.id))
    assert n == 1 and shelter.version == v0 + 2  # a new transaction locks again


def test_lock_row_inside_a_savepoint_is_not_remembered(db_session, make_shelter):
    shelter = make_shelter(name="Posko Savepoint")
    db_session.commit()
    nested = db_session.begin_nested()
    _, n = _updates(db_session, lambda: lock_row(Shelter, shelter.id))
    assert n == 1
    nested.rollback()  # releases the lock taken inside it
    _, n = _updates(db_session, lambda: lock_row(Shelter, shelter.id))
    assert n == 1  # so it is taken again


def test_lock_row_of_a_missing_row_is_none(db_session):
    assert lock_row(Shelter, 987_654_321) is None


def test_prefetch_ids_gives_new_objects_their_sequence_ids_on_postgresql(db_session, app):
    from sqlalchemy import select

    from siaga.db import prefetch_ids
    from siaga.hazards.models import HazardEvent, HazardKind

    events = [HazardEvent(kind=HazardKind.EARTHQUAKE, title=f"M5.{i}", sources=["test"]) for i in range(3)]
    db_session.add_all(events)
    prefetch_ids(events)
    if db_session.get_bind().dialect.name == "postgresql":
        ids = [e.id for e in events]
        assert all(ids) and len(set(ids)) == 3  # from the sequence, before any INSERT
    else:
        assert all(e.id is None for e in events)  # SQLite: left to the INSERT
    db_session.flush()
    stored = db_session.scalars(select(HazardEvent.title).where(HazardEvent.id.in_([e.id for e in events])))
    assert sorted(stored) == ["M5.0", "M5.1", "M5.2"]
