"""Finding a query's candidates in the copy index: the few catalog fingerprints worth aligning."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

import numpy as np
from sqlalchemy import ARRAY, ColumnElement, Integer, any_, bindparam, cast, func, select
from sqlalchemy.orm import Session

from .. import fingerprint as fp
from .keys import Candidate, probes, rank
from .models import CopyIndexEntry

# Aligning costs about 2 ms per candidate for a two-minute query; a copy gathers tens of agreeing keys, a
# stranger one now and then, so a handful of candidates keeps every copy with room to spare.
CANDIDATES = 8
# One key agreeing on an offset is chance at catalog scale; two are rare unless the audio is the same.
# (The lookup leaves out fingerprints that hold a single key of the query: that needs at least two.)
MIN_VOTES = 2


def _one_of(session: Session, keys: list[int]) -> ColumnElement[bool]:
    """`value` among `keys`, sent as one parameter: a few hundred bound values cost more to render and
    plan than the lookup itself."""
    if session.get_bind().dialect.name == "postgresql":
        return CopyIndexEntry.value == any_(
            cast(bindparam("keys", keys, type_=ARRAY(Integer)), ARRAY(Integer))
        )
    listed = func.json_each(bindparam("keys", json.dumps(keys))).table_valued("value")
    return CopyIndexEntry.value.in_(select(listed.c.value))


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
    shifted: fp.Fingerprint | None = None,
    after_id: int = 0,
    limit: int = CANDIDATES,
    max_offset_seconds: float = fp.MAX_OFFSET_SECONDS,
) -> Lookup:
    """The best `limit` candidates among indexed fingerprints newer than `after_id`, for `query` and for
    `shifted` (the same audio begun half an item later), each fingerprint with the votes of whichever of
    the two it agrees with more; one statement reads the hits of both."""
    newest = newest_indexed(session)
    probed = [probes(q) for q in (query, shifted) if q is not None]
    distinct = np.unique(np.concatenate([keys for keys, _ in probed])).tolist()
    if not distinct or newest <= after_id:
        return Lookup([], max(newest, after_id))
    entry = CopyIndexEntry
    wanted = [_one_of(session, distinct)] + ([entry.fingerprint_id > after_id] if after_id else [])
    # A fingerprint holding one of the query's keys only (most hits, in a large catalog) cannot gather two
    # votes, so only the hits of fingerprints whose least and greatest key differ cross over to be counted.
    # The hits are read once into a materialised table and grouped there, which measured cheaper on both
    # engines than ordering them by fingerprint.
    read = select(entry.fingerprint_id, entry.value, entry.position).where(*wanted)
    every = read.cte("hits").prefix_with("MATERIALIZED")
    two_keys = (
        select(every.c.fingerprint_id)
        .group_by(every.c.fingerprint_id)
        .having(func.min(every.c.value) != func.max(every.c.value))
    )
    stmt = select(every.c.fingerprint_id, every.c.value, every.c.position).where(
        every.c.fingerprint_id.in_(two_keys)
    )
    hits = session.execute(stmt).all()
    # Flattened through plain iteration: numpy.array() on the rows themselves asks each row for the array
    # interfaces by name first, which costs more than the query at a few thousand hits.
    flat = np.fromiter(itertools.chain.from_iterable(hits), dtype=np.int64, count=3 * len(hits))
    columns = flat.reshape(-1, 3).T
    best: dict[int, Candidate] = {}
    for keys, positions in probed:
        for candidate in rank(
            keys,
            positions,
            (columns[0], columns[1], columns[2]),
            max_shift=round(max_offset_seconds / fp.ITEM_SECONDS),
            min_votes=MIN_VOTES,
            limit=limit,
        ):
            known = best.get(candidate.fingerprint_id)
            if known is None or candidate.votes > known.votes:
                best[candidate.fingerprint_id] = candidate
    found = sorted(best.values(), key=lambda c: (-c.votes, c.fingerprint_id))[:limit]
    return Lookup(found, newest)
