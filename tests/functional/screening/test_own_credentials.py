"""A file this platform delivered, uploaded again as a master: its artist's is a note, anyone else's a copy;
credentials that only look like the platform's are flagged as such."""

from __future__ import annotations

import shutil
from pathlib import Path

from mutagen.flac import FLAC
from sqlalchemy import select

from storefront.audio.credentials import MasterFacts, Provenance, manifest_definition
from storefront.audio.tagging import TrackTags
from storefront.media.models import MediaStatus, Rendition
from storefront.releases.models import UploadStatus
from storefront.screening.models import ScreeningVerdict, Severity
from tests.factories.provenance import ThrowawayCA, c2pa_sign, master
from tests.functional.screening.conftest import Account, results
from tests.helpers import fresh


def _delivered(db, platform, band: Account, tmp_path: Path) -> tuple[Path, Rendition]:
    """The FLAC this platform made of the band's master, as a buyer downloads it."""
    upload = band.upload(db, master(tmp_path / "low tide.flac", seed=31, seconds=6))
    rendition = fresh(db).scalar(
        select(Rendition).where(Rendition.upload_id == upload.id, Rendition.format == "flac")
    )
    assert rendition is not None and rendition.status == MediaStatus.READY and rendition.key
    path = tmp_path / "bought.flac"
    with platform.storage.open(rendition.key) as fh:
        path.write_bytes(fh.read())
    return path, rendition


def test_a_delivered_file_is_a_copy_from_someone_else_and_a_note_from_its_artist(
    accounts, db, platform, tmp_path
):
    band, copycat = accounts("band"), accounts("copycat")
    bought, rendition = _delivered(db, platform, band, tmp_path)

    copied = copycat.upload(db, bought, name="my new song.flac")
    found = results(db, copied.id)["c2pa"]
    assert (found.verdict, found.severity) == (ScreeningVerdict.FLAG, Severity.HIGH)
    assert found.summary.startswith("Copy: this platform delivered this file as “")
    assert f"release {rendition.release_id}" in found.summary
    assert f"http://localhost/releases/{rendition.release_id}/certificate" in found.summary
    assert "another artist uploads it here" in found.summary
    assert found.evidence["credentials"]["platform"]["artist_id"] == band.artist_id

    again = band.upload(db, bought, name="low tide (bought copy).flac")
    noted = results(db, again.id)["c2pa"]
    assert (noted.verdict, noted.severity) == (ScreeningVerdict.NOTE, Severity.LOW)
    assert "the artist's own release, uploaded again" in noted.summary
    assert fresh(db).get(type(again), again.id).status == UploadStatus.READY


def test_a_retagged_copy_is_still_recognised_and_said_to_be_changed(accounts, db, platform, tmp_path):
    band, copycat = accounts("band"), accounts("copycat")
    bought, _ = _delivered(db, platform, band, tmp_path)
    retagged = tmp_path / "retagged.flac"
    shutil.copy(bought, retagged)
    audio = FLAC(str(retagged))
    audio["TITLE"], audio["ARTIST"] = ["Totally Mine"], ["Copycat"]
    audio.save()

    found = results(db, copycat.upload(db, retagged).id)["c2pa"]
    assert (found.verdict, found.severity) == (ScreeningVerdict.FLAG, Severity.HIGH)
    assert "changed since it was delivered" in found.summary and "“Song 1”" not in found.summary
    assert found.evidence["credentials"]["altered"] is True


def test_credentials_that_only_claim_to_be_the_platforms_are_flagged_as_imitation(accounts, db, tmp_path):
    forger = accounts("forger")
    tags = TrackTags(title="Borrowed Glory", artist="Famous Band", certificate_url="https://example.org/c/1")
    facts = MasterFacts("audio/flac", "00" * 32, 44100, 16)
    claim = manifest_definition(
        "flac",
        Provenance(
            tags, release_id=1, artist_id=forger.artist_id, track_position=1, attestation_id=1, master=facts
        ),
    )
    forged = c2pa_sign(
        master(tmp_path / "plain.flac", seed=32, seconds=6),
        tmp_path / "forged.flac",
        ThrowawayCA.create(),
        claim,
    )

    found = results(db, forger.upload(db, forged).id)["c2pa"]
    assert (found.verdict, found.severity) == (ScreeningVerdict.FLAG, Severity.MEDIUM)
    assert "in this platform's form, signed by Velvet Test Signer" in found.summary
    assert "naming “Borrowed Glory” by Famous Band" in found.summary and "imitation" in found.summary
