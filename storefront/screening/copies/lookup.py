"""Finding a query's candidates in the copy index: the few catalog fingerprints worth aligning."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import fingerprint as fp
from .keys import Candidate, probes, rank
from .models import CopyIndexEntry

# Aligning costs about 2 ms per candidate for a two-minute query; a copy gathers tens of agreeing hits, a
# stranger one now and then, so a handful of candidates keeps every copy with room to spare.
CANDIDATES = 8
# One hit agreeing on an offset is chance at catalog scale; two are rare unless the audio is the same.
MIN_VOTES = 2


@dataclass(frozen=True)
class Lookup:
    candidates: list[Candidate]
    newest_id: int  # the newest fingerprint in the index: later ones are looked up again at the end


def newest_indexed(session: Session) -> int:
    return int(session.scalar(select(func.max(CopyIndexEntry.fingerprint_id))) or 0)


def find_candidates(
    session: Session,
    query: fp.Fingerprint,
    *,
    after_id: int = 0,
    exclude: frozenset[int] = frozenset(),
    max_offset_seconds: float = fp.MAX_OFFSET_SECONDS,
) -> Lookup:
    """The best candidates among indexed fingerprints newer than `after_id`, other than `exclude`."""
    newest = newest_indexed(session)
    keys, positions = probes(query)
    distinct = np.unique(keys).tolist()
    if not distinct or newest <= after_id:
        return Lookup([], max(newest, after_id))
    stmt = select(CopyIndexEntry.fingerprint_id, CopyIndexEntry.value, CopyIndexEntry.position).where(
        CopyIndexEntry.value.in_(distinct)
    )
    if after_id:
        stmt = stmt.where(CopyIndexEntry.fingerprint_id > after_id)
    hits = session.execute(stmt).all()
    hits = [h for h in hits if h[0] not in exclude]
    columns = np.array(hits, dtype=np.int64).reshape(-1, 3).T
    found = rank(
        keys,
        positions,
        (columns[0], columns[1], columns[2]),
        max_shift=round(max_offset_seconds / fp.ITEM_SECONDS),
        min_votes=MIN_VOTES,
        limit=CANDIDATES,
    )
    return Lookup(found, newest)
