"""Declarative base, naming convention, UTC helpers and model mixins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite has no time zones: values are stored as naive UTC and given back aware.
    Naive values on the way in are refused, so local times can never slip in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store times as timezone-aware UTC")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def configure_sqlite_engine(engine: Engine) -> None:
    """Make a pysqlite engine behave: foreign keys, WAL, a busy timeout, real SAVEPOINTs.

    pysqlite's own transaction handling defeats SAVEPOINT (which the per-test rollback
    relies on); SQLAlchemy's documented recipe is to disable it and emit BEGIN ourselves.
    We emit ``BEGIN IMMEDIATE``: a deferred transaction that reads and then writes fails at
    once with "database is locked" when another writer got in between (the busy timeout does
    not apply to that upgrade), which would drop a field team's update. Taking the write lock
    up front makes concurrent writers wait their turn instead. SQLite is the embedded
    default for a handful of users; production runs on PostgreSQL.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def plain_rows(statement_for: Callable[[Any], tuple[str, Any]]) -> list[tuple[Any, ...]]:
    """Run one SQL statement on the session's own DBAPI connection (inside its transaction)
    and return plain tuples: no SQLAlchemy result or row objects, for hot read paths.

    ``statement_for(dialect)`` gives ``(sql, args)`` (``args`` None for none), so callers can
    compile a statement once per dialect. Pending changes are flushed first, as
    ``session.execute`` would do, so they are visible.
    """
    from siaga.extensions import db

    session = db.session
    if session.autoflush:
        session.flush()
    conn = session.connection()
    sql, args = statement_for(conn.dialect)
    cursor = conn.connection.cursor()
    try:
        if args is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, args)
        return list(cursor.fetchall())
    finally:
        cursor.close()


_LOCKS = "siaga_row_locks"
_M = TypeVar("_M")


def lock_row(model: type[_M], ident: int) -> _M | None:
    """Take the write lock on one row and return it fresh, in one statement, or None if absent.

    ``UPDATE <table> SET version = version + 1 WHERE id = … RETURNING *``: on PostgreSQL a
    concurrent writer of the row waits here until this transaction ends; on SQLite the
    statement takes the database write lock. The ORM object (the same one if already loaded)
    is refreshed from the returned row, so everything read afterwards is current.

    Once per transaction: a second call for the same row in the same transaction returns the
    same object without SQL (a view that checks permissions on the locked row, then a
    service that locks it again). Not remembered inside a savepoint, whose rollback would
    release the lock.
    """
    from sqlalchemy import update

    from siaga.extensions import db

    session = db.session()  # the Session itself (the scoped proxy lacks get_transaction)
    key = (model, ident)
    memo: tuple[Any, dict[Any, Any]] | None = session.info.get(_LOCKS)
    root = session.get_transaction()
    if memo is not None and root is not None and memo[0] is root and key in memo[1]:
        return memo[1][key]
    table: Any = model
    stmt = update(table).where(table.id == ident).values(version=table.version + 1).returning(table)
    obj = session.scalars(
        stmt, execution_options={"populate_existing": True, "synchronize_session": False}
    ).one_or_none()
    if obj is not None and session.get_nested_transaction() is None:
        root = session.get_transaction()
        if memo is None or memo[0] is not root:
            memo = (root, {})
            session.info[_LOCKS] = memo
        memo[1][key] = obj
    return obj


#: Keys of the transaction-level locks :func:`lock_name` takes (one 64-bit number per name).
ADVISORY_LOCKS = {"hazards.ingest": 0x5149_4147_4148_0001}


def lock_name(name: str) -> None:
    """Serialise the transactions that take the lock ``name`` until each commits or rolls back.

    PostgreSQL: ``pg_advisory_xact_lock`` (another transaction taking it waits here). SQLite:
    nothing to do, every transaction already holds the database write lock from its start
    (``BEGIN IMMEDIATE``, see :func:`configure_sqlite_engine`).

    The session's pending changes are flushed first, so rows the caller wrote before (a feed's
    health row) are always locked before this lock, never after it: one order for every
    caller, no deadlock between a poll holding the lock and one holding its feed's row.
    """
    from sqlalchemy import text

    from siaga.extensions import db

    if db.session.get_bind().dialect.name == "postgresql":
        db.session.flush()
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCKS[name]})


def prefetch_ids(objects: list[Any]) -> None:
    """Give new ORM objects their primary keys from the table's sequence before the flush
    (PostgreSQL; elsewhere a no-op).

    Without an id, the ORM inserts a batch as one ``INSERT … VALUES (…), (…) RETURNING id``
    with every value a parameter: for a dozen rows of a wide table that is hundreds of
    parameters, which psycopg parses afresh each time and PostgreSQL plans afresh each time.
    With the ids known, the ORM sends an executemany of one small statement that psycopg
    pipelines and PostgreSQL prepares once. One round trip fetches all the ids.
    """
    from sqlalchemy import func, literal, select, union_all

    from siaga.extensions import db

    pending = [o for o in objects if o.id is None]
    if not pending or db.session.get_bind().dialect.name != "postgresql":
        return
    tables = sorted({o.__table__.name for o in pending})
    parts = [
        select(literal(name), func.nextval(func.pg_get_serial_sequence(name, "id"))).select_from(
            func.generate_series(1, sum(1 for o in pending if o.__table__.name == name))
        )
        for name in tables
    ]
    with db.session.no_autoflush:  # the objects must get their ids before they are flushed
        rows = db.session.execute(union_all(*parts) if len(parts) > 1 else parts[0]).all()
    ids: dict[str, list[int]] = {name: [] for name in tables}
    for name, ident in rows:
        ids[name].append(int(ident))
    for obj in pending:
        obj.id = ids[obj.__table__.name].pop(0)


def render_alembic_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render :class:`UTCDateTime` in migrations as the plain column type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
