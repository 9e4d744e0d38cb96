"""Declarative base, engine, the per-request session and the one place that commits."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import JSON, DateTime, Engine, Executable, MetaData, Row, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)
# Marks connections of sessions that are expected to write (see `Database.session`).
WRITE_OPTION = "storefront_write"
# Marks connections that run one statement outside any transaction (see `Database.read_alone`).
ALONE_OPTION = "storefront_alone"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite forgets the zone, so it is put back on load)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use storefront.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def insert_or_merge(dialect: Dialect, model: Any) -> Any:
    """An INSERT that can end in ON CONFLICT DO NOTHING / DO UPDATE, in the dialect of the engine at hand
    (PostgreSQL, or SQLite in the embedded default)."""
    return (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(model)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # The driver's own transaction handling is switched off so that writing transactions can start with
        # BEGIN IMMEDIATE: a read that later writes would otherwise fail at once with "database is locked"
        # when another thread committed in between, instead of waiting its turn.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(ALONE_OPTION, False):
            return  # one statement on its own (Database.read_alone): the driver commits it
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """The engine and session factory of one application."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        # SQLite's driver already commits each statement itself (see _configure_sqlite): only the BEGIN is
        # left out. Asking SQLAlchemy for AUTOCOMMIT there would hand the connection back to the driver's own
        # transaction handling when it returns to the pool.
        sqlite = self.engine.dialect.name == "sqlite"
        alone = {ALONE_OPTION: True} if sqlite else {"isolation_level": "AUTOCOMMIT"}
        self._alone_engine = self.engine.execution_options(**alone)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessionmaker, "before_flush", _note_writes)

    def session(self, *, write: bool = False) -> Session:
        """A new session. On SQLite a writing session takes the write lock when it begins, so that it waits
        for other writers instead of failing; reading sessions never block anyone."""
        return self.sessionmaker(bind=self._write_engine) if write else self.sessionmaker()

    def read_alone(self, statement: Executable, params: dict[str, Any]) -> Row[Any] | None:
        """The one row (or none) of a statement read on its own, outside any transaction: no BEGIN, no
        COMMIT, no ORM session. For a read that often decides the whole answer (a page's validators, so a
        304) and needs no consistency with anything read after it."""
        with self._alone_engine.connect() as connection:
            return connection.execute(statement, params).one_or_none()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work outside a request (commands, jobs): commit on success, roll back on error."""
        session = self.session(write=True)
        try:
            yield session
            commit(session)
        except BaseException:
            rollback(session)
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _note_writes(session: Session, flush_context: Any, instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        session.info["wrote"] = True


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's transaction has committed; dropped on rollback."""
    session.info.setdefault("after_commit", []).append(callback)


def commit(session: Session) -> None:
    """The one commit point. Mail and jobs registered with `after_commit` go out only after it succeeds."""
    session.commit()
    callbacks: list[Callable[[], None]] = session.info.pop("after_commit", [])
    session.info.pop("wrote", None)
    for callback in callbacks:
        try:
            callback()
        except Exception:
            # The work is committed and durable; a failed notification is picked up by the runner's poll.
            log.exception("after-commit callback failed")


def rollback(session: Session) -> None:
    session.rollback()
    session.info.pop("after_commit", None)
    session.info.pop("wrote", None)


# -- the per-request session -------------------------------------------------------------------------------
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteOnSafeMethod(RuntimeError):
    """A GET (or HEAD) tried to change the database."""


def get_session() -> Session:
    session: Session | None = g.get("_db_session")
    if session is None:
        database = _app_database()
        session = database.session(write=request.method not in _SAFE_METHODS)
        g._db_session = session
    return session


def read_alone(statement: Executable, params: dict[str, Any]) -> Row[Any] | None:
    """`Database.read_alone` with the current app's database."""
    return _app_database().read_alone(statement, params)


def open_write_session() -> Session | None:
    """The current request's session if the request has opened one that writes; None outside a request.

    For a part that plays a remote service inside this process (the sandbox gateway): on SQLite, whose one
    writer lock a writing request holds until its commit, such a part must write through this session
    rather than wait on its own caller."""
    if not has_request_context():
        return None
    session: Session | None = g.get("_db_session")
    if session is None or not session.get_bind().get_execution_options().get(WRITE_OPTION, False):
        return None
    return session


def _app_database() -> Database:
    from flask import current_app

    database: Database = current_app.extensions["storefront.database"]
    return database


def init_app(app: Flask, database: Database) -> None:
    app.extensions["storefront.database"] = database

    @app.after_request
    def _finish_request(response: Response) -> Response:
        session: Session | None = g.pop("_db_session", None)
        if session is None:
            return response
        try:
            if request.method in _SAFE_METHODS and session.info.get("wrote"):
                rollback(session)
                raise WriteOnSafeMethod(f"{request.method} {request.path} tried to write to the database")
            if response.status_code < 400:
                commit(session)
            else:
                rollback(session)
        finally:
            session.close()
        return response

    @app.teardown_request
    def _discard(exc: BaseException | None) -> None:
        # Reached with a session still open only when the view raised: nothing of it may be kept.
        session: Session | None = g.pop("_db_session", None)
        if session is not None:
            rollback(session)
            session.close()
