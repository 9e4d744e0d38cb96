"""Search: one SearchIndex interface over a documents table of public things, with SQLite FTS5 and PostgreSQL
full-text engines; the indexer that follows approvals, takedowns and renames; /search and its suggestions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..web.services import ServiceRegistry


def register_services(registry: ServiceRegistry) -> None:
    from .interfaces import SearchIndex
    from .service import SearchService

    registry.register(SearchService, lambda s: SearchService(s.session, s.find(SearchIndex)))
