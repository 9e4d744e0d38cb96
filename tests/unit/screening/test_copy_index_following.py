"""Every session factory made in a process keeps the copy index, even one that lands at the address of a
factory already collected (tests make hundreds of apps in one process; a deployment may make several)."""

from __future__ import annotations

import gc

from sqlalchemy.orm import Session, sessionmaker

from storefront.screening.copies.upkeep import _after_flush, follow_catalog


def _follows(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        return _after_flush in list(session.dispatch.after_flush)


def test_each_new_session_factory_follows_the_catalog_even_at_a_collected_ones_address() -> None:
    addresses: set[int] = set()
    for _ in range(100):
        sessions: sessionmaker[Session] = sessionmaker()
        follow_catalog(sessions)
        assert _follows(sessions)
        addresses.add(id(sessions))
        del sessions
        gc.collect()
    assert len(addresses) < 100  # addresses were reused, so the case that failed was met


def test_following_twice_listens_once() -> None:
    sessions: sessionmaker[Session] = sessionmaker()
    follow_catalog(sessions)
    follow_catalog(sessions)
    with sessions() as session:
        assert list(session.dispatch.after_flush).count(_after_flush) == 1
