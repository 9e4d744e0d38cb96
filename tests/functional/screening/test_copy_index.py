"""The copy index against the full scan: the same copies found, the same verdicts, on the same cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import func, select

from storefront.accounts.models import Artist
from storefront.db import commit
from storefront.releases.models import UploadKind, UploadStatus
from storefront.releases.uploads.pipeline import move
from storefront.screening.catalog import CatalogSearch, scan_catalog, search_catalog
from storefront.screening.checks.base import Subject
from storefront.screening.copies.keys import probes, rank
from storefront.screening.copies.lookup import CANDIDATES, MIN_VOTES, find_candidates
from storefront.screening.copies.models import CopyIndexEntry
from storefront.screening.fingerprint import ITEM_SECONDS, MAX_OFFSET_SECONDS, QueryPrints, query_prints
from storefront.screening.models import Fingerprint
from tests.factories.accounts import make_artist, make_user
from tests.factories.provenance import gain, master, trim
from tests.factories.releases import make_release, ready_upload
from tests.factories.screening import laundered, stored_master, unrelated_prints
from tests.helpers import fresh

MAX_SHIFT = round(MAX_OFFSET_SECONDS / ITEM_SECONDS)
COPIES = ("mp3", "aac", "opus", "trim-start", "trim-between", "trim-end", "gain")
OUTSIDERS = ("distinct", "wav-of-other")


def _cut_end(src: Path, dst: Path, seconds: float) -> Path:
    data, rate = sf.read(str(src), dtype="float32")
    sf.write(str(dst), data[: -int(seconds * rate)], rate)
    return dst


@pytest.fixture(scope="module")
def looked_up(chromaprint: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, QueryPrints]:
    """Each file's own print and its print begun half an item later, as the screening job makes them."""
    d = tmp_path_factory.mktemp("copy-index")
    original = master(d / "original.flac", seed=11, seconds=40)
    files = {
        "original": original,
        "catalog-b": master(d / "b.flac", seed=12, seconds=40),
        "catalog-c": master(d / "c.flac", seed=13, seconds=25),
        "mp3": laundered(original, d, ".mp3"),
        "aac": laundered(original, d, ".m4a", ".wav"),
        "opus": laundered(original, d, ".opus"),
        "trim-start": trim(original, d / "trim-start.flac", 7.0),
        "trim-between": trim(original, d / "trim-between.flac", 35.5 * ITEM_SECONDS),
        "trim-end": _cut_end(original, d / "trim-end.flac", 7.0),
        "gain": gain(original, d / "quieter.flac", -6.0),
        "distinct": master(d / "distinct.flac", seed=14, seconds=40),
        "wav-of-other": master(d / "other.wav", seed=15, seconds=30),
    }
    return {name: query_prints(path) for name, path in files.items()}


@pytest.fixture(scope="module")
def prints(looked_up: dict[str, QueryPrints]) -> dict[str, np.ndarray]:
    return {name: both.own for name, both in looked_up.items()}


def _shape(search: CatalogSearch) -> list[tuple[Any, ...]]:
    return [(m["upload_id"], m["ber"], m["offset_seconds"], m["same_artist"]) for m in search.matches]


@pytest.mark.usefixtures("chromaprint")
def test_the_index_finds_what_the_scan_finds_and_nothing_it_rejects(app, db, platform, prints, looked_up):
    first = make_artist(db, make_user(db, platform), slug="first")
    copier = make_artist(db, make_user(db, platform), slug="copier")
    shelf = make_release(db, first)
    catalog = {
        name: stored_master(db, shelf, prints[name]) for name in ("original", "catalog-b", "catalog-c")
    }
    # Other music around them, so that the index has to choose its candidates.
    crowd = make_release(db, make_artist(db, make_user(db, platform), slug="crowd"))
    bases = [prints["catalog-b"], prints["catalog-c"], prints["distinct"]]
    for other in unrelated_prints(bases, 120, seed=5):
        stored_master(db, crowd, other)
    commit(db)
    upload = ready_upload(db, make_release(db, fresh(db).get(Artist, copier.id)), UploadKind.MASTER, {})
    commit(db)
    subject = Subject(upload.id, copier.id, upload.release_id, None, "copy.flac", "k", "flac", 40.0, None)

    for name in (*COPIES, *OUTSIDERS, "original", "catalog-b"):
        by_index = search_catalog(fresh(db), subject, prints[name], shifted=looked_up[name].shifted)
        by_scan = scan_catalog(fresh(db), subject, prints[name])
        assert _shape(by_index) == _shape(by_scan), name
        assert by_scan.compared == 123 and by_index.compared <= CANDIDATES
        expected = [] if name in OUTSIDERS else [catalog["original" if name in COPIES else name].id]
        assert [m["upload_id"] for m in by_index.matches] == expected, name
        assert by_index.last_id == by_scan.last_id

    # A master that is no longer in force is no candidate, by either path.
    move(fresh(db).get(type(upload), catalog["original"].id), UploadStatus.REPLACED, "a newer file")
    commit(db)
    for name in COPIES:
        assert search_catalog(fresh(db), subject, prints[name], shifted=looked_up[name].shifted).matches == []
        assert scan_catalog(fresh(db), subject, prints[name]).matches == []


@pytest.mark.usefixtures("chromaprint")
def test_a_copy_cut_between_two_items_gathers_its_votes_through_the_print_begun_half_an_item_later(
    app, db, platform, looked_up
):
    shelf = make_release(db, make_artist(db, make_user(db, platform), slug="shelf"))
    original = stored_master(db, shelf, looked_up["original"].own)
    for other in unrelated_prints([looked_up["catalog-b"].own, looked_up["distinct"].own], 40, seed=3):
        stored_master(db, shelf, other)
    commit(db)
    stored = fresh(db).scalar(select(Fingerprint.id).where(Fingerprint.upload_id == original.id))
    copy = looked_up["trim-between"]
    alone = find_candidates(fresh(db), copy.own).candidates
    both = find_candidates(fresh(db), copy.own, shifted=copy.shifted).candidates
    assert [c.fingerprint_id for c in both] == [stored]
    # 35.5 items were cut: the shifted print, begun half an item later still, lines up with the original
    # from item 36 on, and far more of its keys agree than of the own print's.
    votes_alone = alone[0].votes if alone else 0
    assert both[0].votes >= 2 * votes_alone, (votes_alone, both[0].votes)
    assert both[0].shift == 36


@pytest.mark.usefixtures("chromaprint")
def test_the_database_leaves_out_only_fingerprints_that_could_not_gain_two_votes(app, db, platform, prints):
    # The lookup has the database drop fingerprints that share a single key with the query; ranking every
    # hit here gives the same candidates, held notes and crowd included.
    shelf = make_release(db, make_artist(db, make_user(db, platform), slug="shelf"))
    for name in ("original", "catalog-b", "catalog-c"):
        stored_master(db, shelf, prints[name])
    held = np.repeat(prints["distinct"][::40], 40)[: prints["distinct"].size]  # each value held for 5 s
    stored_master(db, shelf, held)
    for other in unrelated_prints([prints["catalog-b"], prints["distinct"]], 60, seed=9):
        stored_master(db, shelf, other)
    commit(db)
    every = fresh(db).execute(
        select(CopyIndexEntry.fingerprint_id, CopyIndexEntry.value, CopyIndexEntry.position)
    ).all()
    columns = tuple(np.array([row[i] for row in every], dtype=np.int64) for i in range(3))
    for name in (*COPIES, *OUTSIDERS, "original"):
        keys, positions = probes(prints[name])
        wanted = np.isin(columns[1], keys)
        hits = (columns[0][wanted], columns[1][wanted], columns[2][wanted])
        everything = rank(keys, positions, hits, max_shift=MAX_SHIFT, min_votes=MIN_VOTES, limit=50)
        assert find_candidates(fresh(db), prints[name], limit=50).candidates == everything, name


@pytest.mark.usefixtures("chromaprint")
def test_the_upload_itself_and_fingerprints_seen_before_are_left_out(app, db, platform, prints):
    band = make_artist(db, make_user(db, platform), slug="band")
    release = make_release(db, band)
    earlier = stored_master(db, release, prints["original"])
    itself = stored_master(db, release, prints["mp3"])
    commit(db)
    subject = Subject(itself.id, band.id, release.id, None, "again.flac", "k", "flac", 40.0, None)

    found = search_catalog(fresh(db), subject, prints["mp3"])
    assert [(m["upload_id"], m["same_artist"]) for m in found.matches] == [(earlier.id, True)]
    newest = fresh(db).scalar(select(func.max(CopyIndexEntry.fingerprint_id)))
    assert found.last_id == newest
    # A second look, at the end of the job, reads only what was indexed since the first.
    assert search_catalog(fresh(db), subject, prints["mp3"], after_id=found.last_id).matches == []
    later = stored_master(db, make_release(db, band), prints["gain"])
    commit(db)
    again = search_catalog(fresh(db), subject, prints["mp3"], after_id=found.last_id)
    assert [m["upload_id"] for m in again.matches] == [later.id]
