"""A read on its own (`Database.read_alone`): one statement, no transaction, and the pooled connection left
as the sessions that write need it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, literal, select

from storefront.accounts.models import User


def test_one_statement_and_nothing_around_it(platform) -> None:
    database = platform.database
    statements: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", executed)
    try:
        row = database.read_alone(select(literal(7).label("n")), {})
    finally:
        event.remove(database.engine, "before_cursor_execute", executed)
    assert row is not None and row.n == 7
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("SELECT"), statements
    assert database.read_alone(select(User.id).where(User.email == "nobody@example.com"), {}) is None


def test_sessions_after_it_still_begin_commit_and_roll_back(platform) -> None:
    database = platform.database
    for _ in range(3):
        database.read_alone(select(func.count(User.id)), {})
    with database.engine.connect() as connection:
        # SQLite's driver leaves transactions to the app (which begins them itself); psycopg's to the app too
        # but through the driver, so it must not have been left committing each statement.
        driver = connection.connection.dbapi_connection
        if database.engine.dialect.name == "sqlite":
            assert driver.isolation_level is None
        else:
            assert driver.autocommit is False
    try:
        with database.transaction() as session:
            session.add(User(email="rolled-back@example.com", display_name="Gone"))
            session.flush()
            raise RuntimeError("undo")
    except RuntimeError:
        pass
    with database.transaction() as session:
        session.add(User(email="kept@example.com", display_name="Kept"))
    with database.session() as session:
        emails = set(session.scalars(select(User.email)))
    assert "kept@example.com" in emails and "rolled-back@example.com" not in emails
