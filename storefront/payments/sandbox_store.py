"""The sandbox gateway's records: objects kept in `SandboxObject` rows, written as a remote service would.

Each call is a short transaction of its own; a create under an idempotency key follows Stripe's rules (the
same key gives the same object; the same key with other parameters is refused); and every change Stripe
would send a webhook about is recorded with `record_event` in the same transaction as the change itself.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import Database, open_write_session, utcnow
from ..jobs.interfaces import JobDispatcher, JobQueue
from .handling import record_event
from .interfaces import GatewayError, GatewayEvent
from .models import SandboxObject

# Stripe's published price for cards in the US: 2.9 % of the charge plus 30 cents (here: 30 minor units).
FEE_BPS = 290
FEE_FIXED_MINOR = 30
DAY = 24 * 3600


def card_fee(amount_minor: int) -> int:
    """The processing fee Stripe's price list gives for a charge, rounded half up, never above the charge."""
    return min(amount_minor, (amount_minor * FEE_BPS + 5_000) // 10_000 + FEE_FIXED_MINOR)


class SandboxRefused(GatewayError):
    """What the sandbox's pages cannot do to an object in its present state (paying an expired session)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


def _new_id(prefix: str) -> str:
    return f"{prefix}_sandbox_{secrets.token_hex(12)}"


def _digest(params: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()


def _at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def _request_session(database: Database) -> Session | None:
    """The current request's writing session, when there is one and the database is SQLite.

    SQLite lets one writer in at a time, and a request that may write holds that lock from its first query
    to its commit: a sandbox call made inside such a request would wait on its own caller. There, and only
    there, the sandbox writes through the request's session (in a savepoint), so its records commit or
    roll back with the request. Elsewhere it keeps to transactions of its own."""
    return open_write_session() if database.url.startswith("sqlite") else None


class SandboxStore:
    """Storage for the sandbox gateway: no money behind any of it."""

    backend_name = "sandbox"

    def __init__(self, database: Database, *, base_url: str, clock: Callable[[], float] = time.time) -> None:
        self.database = database
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        # Set once the job runner exists (container.build_platform): until then events are not recorded.
        self.jobs: JobDispatcher | None = None

    # -- storage -------------------------------------------------------------------------------------------
    @contextmanager
    def _writing(self) -> Iterator[Session]:
        shared = _request_session(self.database)
        if shared is not None:
            with shared.begin_nested():
                yield shared
            return
        with self.database.transaction() as session:
            yield session

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        shared = _request_session(self.database)
        if shared is not None:
            yield shared
            return
        with self.database.session() as session:
            yield session

    def _now(self) -> int:
        return int(self.clock())

    @staticmethod
    def _get(session: Session, kind: str, object_id: str, *, lock: bool = False) -> SandboxObject:
        stmt = select(SandboxObject).where(SandboxObject.id == object_id, SandboxObject.kind == kind)
        found = session.scalar(stmt.with_for_update() if lock else stmt)
        if found is None:
            raise GatewayError(f"No such {kind}: '{object_id}'", retryable=False)
        return found

    @staticmethod
    def _update(row: SandboxObject, **changes: Any) -> dict[str, Any]:
        # The column is plain JSON: a new dict is what tells the session the row changed.
        row.data = {**row.data, **changes}
        row.updated_at = utcnow()
        return row.data

    def _add(self, session: Session, kind: str, prefix: str, data: dict[str, Any]) -> SandboxObject:
        created = self._now()
        row = SandboxObject(id=_new_id(prefix), kind=kind, data={**data, "created": created})
        row.created_at = row.updated_at = _at(created)
        session.add(row)
        return row

    def _idempotent(
        self,
        kind: str,
        idempotency_key: str,
        params: Mapping[str, Any],
        create: Callable[[Session], SandboxObject],
    ) -> tuple[str, dict[str, Any]]:
        """The object made under this key, or a new one from `create`; Stripe's rules for replays."""
        key, digest = f"{kind}:{idempotency_key}", _digest(params)
        for attempt in range(2):
            try:
                with self._writing() as session:
                    row = session.scalar(select(SandboxObject).where(SandboxObject.idempotency_key == key))
                    if row is None:
                        row = create(session)
                        row.idempotency_key = key
                        row.data = {**row.data, "_request": digest}
                        session.flush()
                    elif row.data.get("_request") != digest:
                        raise GatewayError(
                            "Keys for idempotent requests can only be used with the same parameters they "
                            "were first used with.",
                            retryable=False,
                        )
                    return row.id, dict(row.data)
            except IntegrityError:
                if attempt:  # the racing request that took the key has committed: the loop reads its object
                    raise GatewayError("the sandbox could not record the request; try again") from None
        raise AssertionError("unreachable")

    def _ids(self, kind: str, created_from: int, created_to: int) -> list[str]:
        with self._reading() as session:
            return list(
                session.scalars(
                    select(SandboxObject.id)
                    .where(
                        SandboxObject.kind == kind,
                        SandboxObject.created_at >= _at(created_from),
                        SandboxObject.created_at < _at(created_to),
                    )
                    .order_by(SandboxObject.created_at.desc(), SandboxObject.id)
                )
            )

    def _event(
        self, session: Session, event_type: str, object_id: str, data: Mapping[str, Any], **extra: Any
    ) -> GatewayEvent:
        """The webhook Stripe would send about this change, recorded with it."""
        # The same change to the same object is the same event, so doing it again is a duplicate delivery.
        digest = hashlib.sha256(f"{object_id}:{event_type}".encode()).hexdigest()[:24]
        public = {k: v for k, v in data.items() if not k.startswith("_")}
        event = GatewayEvent(f"evt_sandbox_{digest}", event_type, object_id, self._now(), public, **extra)
        if self.jobs is not None:
            record_event(session, self.backend_name, event, JobQueue(session, self.jobs))
        return event
