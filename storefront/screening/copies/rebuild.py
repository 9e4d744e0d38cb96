"""The copy index compared with one built again from the stored fingerprints, and mended where it differs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import Connection, select

from ...db import Database
from ...releases.models import Upload
from ..models import ALGORITHM, Fingerprint
from .models import CopyIndexEntry
from .upkeep import in_force, index_rows, reindex

BATCH = 1000


@dataclass(frozen=True)
class Difference:
    fingerprint_id: int
    upload_id: int
    in_force: bool
    held: int  # entries the index held for it
    wanted: int  # entries a rebuild gives it

    def describe(self) -> str:
        what = "in force" if self.in_force else "not in force"
        return (
            f"fingerprint {self.fingerprint_id} (upload {self.upload_id}, {what}): "
            f"the index held {self.held} entries, a rebuild gives {self.wanted}"
        )


@dataclass
class IndexCheck:
    fingerprints: int = 0  # in force, so indexed
    entries: int = 0  # the rows a rebuild gives them
    differences: list[Difference] = field(default_factory=list)


def check_index(database: Database, *, repair: bool, batch: int = BATCH) -> IndexCheck:
    """Walk every stored fingerprint in id order, a batch per transaction, comparing its entries with the
    ones a rebuild gives; with `repair`, index each differing fingerprint again in the same transaction."""
    report = IndexCheck()
    last = 0
    while True:
        with database.transaction() as session:
            rows = session.execute(
                select(Fingerprint.id, Fingerprint.upload_id, Fingerprint.data, in_force().label("in_force"))
                .join(Upload, Upload.id == Fingerprint.upload_id)
                .where(Fingerprint.id > last)
                .order_by(Fingerprint.id)
                .limit(batch)
            ).all()
            if not rows:
                return report
            held: dict[int, set[tuple[int, int]]] = defaultdict(set)
            for fingerprint_id, position, value in session.execute(
                select(CopyIndexEntry.fingerprint_id, CopyIndexEntry.position, CopyIndexEntry.value).where(
                    CopyIndexEntry.fingerprint_id.between(rows[0].id, rows[-1].id)
                )
            ):
                held[fingerprint_id].add((position, value))
            wrong: list[int] = []
            for row in rows:
                entries = index_rows(row.id, row.data) if row.in_force else []
                wanted = {(e["position"], e["value"]) for e in entries}
                if row.in_force:
                    report.fingerprints += 1
                    report.entries += len(wanted)
                if wanted != held.get(row.id, set()):
                    wrong.append(row.id)
                    found = len(held.get(row.id, ()))
                    report.differences.append(
                        Difference(row.id, row.upload_id, bool(row.in_force), found, len(wanted))
                    )
            if repair:
                reindex(session, fingerprint_ids=wrong)
            last = rows[-1].id


def fill(bind: Connection, *, batch: int = BATCH) -> None:
    """Index every fingerprint in force into an empty index, for the migrations that create the index or
    change its keys. Written against the tables as they stand at those revisions, not the models."""
    prints = sa.table(
        "fingerprints", sa.column("id"), sa.column("upload_id"), sa.column("data"), sa.column("algorithm")
    )
    uploads = sa.table("uploads", sa.column("id"), sa.column("status"))
    entries = sa.table(
        "copy_index_entries", sa.column("fingerprint_id"), sa.column("position"), sa.column("value")
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(prints.c.id, prints.c.data)
            .join(uploads, uploads.c.id == prints.c.upload_id)
            .where(uploads.c.status == "ready", prints.c.algorithm == ALGORITHM, prints.c.id > last)
            .order_by(prints.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        found = [entry for row in rows for entry in index_rows(row.id, row.data)]
        if found:
            bind.execute(entries.insert(), found)
        last = rows[-1].id
