"""Writing the money ledger: each movement once, by the key that names it.

`record` adds nothing when its key is on record already, so a retried job or a duplicated webhook cannot
count money twice; a concurrent writer of the same key costs the loser a savepoint, not its transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import LedgerEntry, LedgerKind, Order, OrderLine


def record(
    session: Session,
    key: str,
    kind: LedgerKind,
    *,
    order_id: int,
    amount_minor: int,
    currency: str,
    order_line_id: int | None = None,
    payee_key: str = "",
    release_id: int | None = None,
    provider_id: str = "",
    detail: Mapping[str, Any] | None = None,
) -> bool:
    """Add one ledger row unless `key` is taken. Returns whether it was added."""
    if session.scalar(select(LedgerEntry.id).where(LedgerEntry.key == key)) is not None:
        return False
    entry = LedgerEntry(
        key=key,
        kind=kind,
        order_id=order_id,
        order_line_id=order_line_id,
        payee_key=payee_key,
        release_id=release_id,
        amount_minor=amount_minor,
        currency=currency,
        provider_id=provider_id,
        detail=dict(detail or {}),
    )
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        return False
    return True


def book(
    session: Session,
    kind: LedgerKind,
    key: str,
    order: Order,
    amount_minor: int,
    *,
    line: OrderLine | None = None,
    payee_key: str | None = None,
    provider_id: str = "",
    detail: Mapping[str, Any] | None = None,
) -> bool:
    """One row of an order, or of one of its lines (then the line's payee and release unless `payee_key`
    says whose it is). False if its key is on record already."""
    return record(
        session,
        key,
        kind,
        order_id=order.id,
        amount_minor=amount_minor,
        currency=order.currency,
        order_line_id=line.id if line is not None else None,
        payee_key=payee_key if payee_key is not None else (line.payee_key if line is not None else ""),
        release_id=line.release_id if line is not None else None,
        provider_id=provider_id,
        detail=detail,
    )


def order_total(session: Session, order_id: int, *kinds: LedgerKind) -> int:
    """The sum of an order's rows (of the given kinds, or all)."""
    stmt = select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
        LedgerEntry.order_id == order_id
    )
    if kinds:
        stmt = stmt.where(LedgerEntry.kind.in_(kinds))
    return int(session.scalar(stmt) or 0)
