"""Screening through the real upload flow: C2PA refusals, generator tags, fingerprints, farms, detectors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storefront.accounts.models import Artist, User
from storefront.config import FarmRules
from storefront.db import commit, utcnow
from storefront.jobs.runner import JobContext
from storefront.releases.models import Track, Upload, UploadStatus
from storefront.screening.catalog import ChromaprintFingerprinter
from storefront.screening.models import Fingerprint
from storefront.screening.queries import highest_severity, results_for_release, screening_health
from storefront.screening.services import screen_upload
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.provenance import ThrowawayCA, c2pa_sign, gain, manifest, master, trim, write_tags
from tests.factories.releases import cover_bytes, make_release
from tests.factories.screening import BrokenDetector, FixedDetector, laundered
from tests.functional.releases.test_uploads import Uploader
from tests.functional.screening.conftest import Account, results
from tests.helpers import WebClient, fresh, text_of


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("screening")
    original = master(d / "original.flac", seed=11, seconds=20)
    return {
        "original": original,
        "mp3": laundered(original, d, ".mp3"),
        "aac": laundered(original, d, ".m4a", ".wav"),
        "opus": laundered(original, d, ".opus"),
        "gain": gain(original, d / "quieter.flac", -6.0),
        "trim": trim(original, d / "trimmed.flac", 7.0),
        # Cut half-way between two fingerprint items (4.4 s): its items fall between the original's.
        "trim-between": trim(original, d / "trimmed-between.flac", 4.4),
        "distinct": master(d / "distinct.flac", seed=12, seconds=20),
    }


@pytest.fixture(scope="module")
def ca() -> ThrowawayCA:
    return ThrowawayCA.create()


# -- C2PA ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ext", [".wav", ".flac"])
def test_declared_ai_audio_is_refused_with_the_reason_and_nothing_kept(
    accounts, db, platform, ca, tmp_path, ext
):
    band = accounts("band")
    plain = master(tmp_path / f"plain{ext}", seed=31, seconds=12)
    signed = c2pa_sign(
        plain,
        tmp_path / f"Night Drive{ext}",
        ca,
        manifest("trainedAlgorithmicMedia", generator="SongForge AI"),
    )
    upload = band.upload(db, signed)

    assert upload.status == UploadStatus.REJECTED and upload.final_key is None
    problem = upload.problems[0]
    assert problem["code"] == "ai_declared"
    assert problem["message"] == (
        f"Night Drive{ext}: its content credentials declare AI-generated audio "
        "(trainedAlgorithmicMedia, by SongForge AI 1.0). Velvet sells only "
        "human-made music."
    )
    assert [o.key for o in platform.storage.list_objects("releases/")] == []
    found = results(db, upload.id)
    assert found["c2pa"].verdict.value == "reject" and found["c2pa"].severity.value == "high"
    assert "trainedAlgorithmicMedia" in found["c2pa"].summary
    assert "fingerprint" not in found and db.scalar(select(func.count(Fingerprint.id))) == 0
    page = text_of(band.web.get(f"/artists/band/releases/{upload.release_id}?step=tracks"))
    assert "its content credentials declare AI-generated audio" in page and "Night Drive" in page
    assert results_for_release(fresh(db), upload.release_id) == []  # only files in force by default
    history = results_for_release(fresh(db), upload.release_id, current_only=False)
    assert [r.check.value for r in history] == ["c2pa", "metadata"]
    assert highest_severity(history) == "high"


def test_human_credentials_are_summarised_for_curators(accounts, db, ca, tmp_path):
    band = accounts("band")
    plain = master(tmp_path / "plain.flac", seed=32, seconds=12)
    signed = c2pa_sign(plain, tmp_path / "Field Recording.flac", ca, manifest("digitalCapture"))
    upload = band.upload(db, signed)

    assert upload.status == UploadStatus.READY
    c2pa = results(db, upload.id)["c2pa"]
    assert c2pa.verdict.value == "info" and c2pa.severity.value == "none"
    assert "Velvet Test DAW 1.0" in c2pa.summary and "c2pa.created (digitalCapture)" in c2pa.summary
    assert c2pa.evidence["credentials"]["actions"][0]["digitalSourceType"] == "digitalCapture"


# -- generator metadata --------------------------------------------------------------------------------
@pytest.mark.usefixtures("chromaprint")  # the clean files must pass every check, copy detection too
def test_generator_tags_flag_the_file_high_and_plain_files_pass(accounts, db, tmp_path):
    band = accounts("band")
    tagged = write_tags(
        master(tmp_path / "Hook.flac", seed=33, seconds=12),
        {"software": "Suno v3.5", "custom:SUNO_PROMPT": "sad synthwave about rain"},
    )
    plain = master(tmp_path / "Plain.flac", seed=34, seconds=12)
    flagged = band.upload(db, tagged)
    clean = band.upload(db, plain)

    assert flagged.status == UploadStatus.READY  # a signal for curators, not a refusal
    metadata = results(db, flagged.id)["metadata"]
    assert metadata.verdict.value == "flag" and metadata.severity.value == "high"
    assert "Suno" in metadata.summary
    assert {f["rule"] for f in metadata.evidence["findings"]} >= {"generator-name", "prompt-field"}
    assert results(db, clean.id)["metadata"].verdict.value == "pass"
    assert results(db, clean.id)["c2pa"].verdict.value == "pass"
    assert highest_severity(results_for_release(fresh(db), flagged.release_id)) == "high"
    assert highest_severity(results_for_release(fresh(db), clean.release_id)) == "none"
    ticket = Uploader(band.web, clean.release_id, "band").upload(
        "artwork", "cover.jpg", cover_bytes(1600), "image/jpeg"
    )
    cover = fresh(db).get(Upload, ticket["upload_id"])
    # Tags and credentials matter in audio; the re-encoded cover is read for credentials, so it has a result.
    cover_results = results(db, cover.id)
    assert cover.status == UploadStatus.READY and set(cover_results) == {"c2pa"}
    assert cover_results["c2pa"].verdict.value in ("pass", "unavailable")


# -- fingerprints --------------------------------------------------------------------------------------
@pytest.mark.usefixtures("chromaprint")
@pytest.mark.parametrize("copy", ["mp3", "aac", "opus", "gain", "trim", "trim-between"])
def test_a_copy_of_another_artists_track_is_flagged_with_the_original(accounts, db, files, copy):
    first, copier = accounts("first"), accounts("copier")
    original = first.upload(db, files["original"])
    copied = copier.upload(db, files[copy], name=f"My Song{files[copy].suffix}")

    assert results(db, original.id)["fingerprint"].verdict.value == "pass"
    found = results(db, copied.id)["fingerprint"]
    assert found.verdict.value == "flag" and found.severity.value == "high", found.summary
    match = found.evidence["matches"][0]
    assert (match["upload_id"], match["artist_id"], match["track_id"]) == (
        original.id,
        first.artist_id,
        original.track_id,
    )
    assert match["ber"] <= 0.2 and match["same_artist"] is False
    if copy == "trim":
        assert match["offset_seconds"] == pytest.approx(7.0, abs=0.3)
        assert " s into it" in found.summary
    assert "Possible copy" in found.summary and "original" in found.summary
    assert copied.status == UploadStatus.READY  # flagged for a curator, never refused on a match alone


@pytest.mark.usefixtures("chromaprint")
def test_the_same_artists_audio_again_is_noted_and_distinct_music_passes(accounts, db, files):
    band = accounts("band")
    first = band.upload(db, files["original"])
    again = band.upload(db, files["mp3"], name="Original (remaster).flac")
    other = band.upload(db, files["distinct"])

    noted = results(db, again.id)["fingerprint"]
    assert noted.verdict.value == "note" and noted.severity.value == "low"
    assert noted.evidence["matches"][0]["upload_id"] == first.id
    passed = results(db, other.id)["fingerprint"]
    assert passed.verdict.value == "pass" and passed.summary.startswith("No match in the catalog")
    assert passed.evidence["matches"] == []
    assert fresh(db).scalar(select(func.count(Fingerprint.id))) == 3


def test_missing_chromaprint_is_recorded_and_reported_never_skipped(accounts, db, platform, files):
    platform.fingerprinter = ChromaprintFingerprinter(candidates=["/nonexistent/libchromaprint.so.1"])
    band = accounts("band")
    upload = band.upload(db, files["distinct"])

    found = results(db, upload.id)
    assert found["fingerprint"].verdict.value == "unavailable"
    assert "libchromaprint missing" in found["fingerprint"].summary
    assert {"c2pa", "metadata", "content_farm"} <= set(found)  # the other checks still ran
    assert fresh(db).scalar(select(func.count(Fingerprint.id))) == 0
    health = screening_health(platform)
    assert health["ok"] is False and "libchromaprint missing" in health["detail"]
    assert health["checks"]["fingerprint"]["ok"] is False and health["checks"]["c2pa"]["ok"] is True
    assert highest_severity(results_for_release(fresh(db), upload.release_id)) == "low"


@pytest.mark.usefixtures("chromaprint")
def test_health_names_the_chromaprint_it_loaded(platform):
    healthy = screening_health(platform)
    assert healthy["ok"] is True and "libchromaprint 1." in healthy["detail"]
    assert healthy["checks"]["detector"] == {"ok": True, "detail": "no detector configured"}


# -- content farms -------------------------------------------------------------------------------------
def test_a_content_farm_pattern_alone_is_a_low_note_and_a_flag_beside_a_real_finding(accounts, db, tmp_path):
    farm = accounts("farm")
    release = make_release(db, fresh(db).get(Artist, farm.artist_id))
    uploads = [
        farm.upload(
            db,
            master(tmp_path / f"loop {n}.flac", seed=40 + n, seconds=6.0 + n * 0.15),
            release_id=release.id,
        )
        for n in range(6)
    ]

    verdicts = [results(db, u.id)["content_farm"].verdict.value for u in uploads]
    assert verdicts == ["pass", "pass", "pass", "pass", "note", "note"]
    last = results(db, uploads[-1].id)["content_farm"]
    assert last.severity.value == "low" and last.evidence["same_duration_masters"] == 6
    assert sorted(last.evidence["same_duration_upload_ids"]) == [u.id for u in uploads[:-1]]
    assert "6 of the artist's masters" in last.summary and "Only a note" in last.summary
    # The account's pattern no longer ranks a release that holds nothing else.
    assert highest_severity(results_for_release(fresh(db), release.id)) in ("none", "low")

    tagged = write_tags(
        master(tmp_path / "loop 6.flac", seed=46, seconds=6.0 + 6 * 0.15), {"software": "Suno v3.5"}
    )
    suspect = results(db, farm.upload(db, tagged, release_id=release.id).id)
    assert suspect["metadata"].verdict.value == "flag"
    farm_flag = suspect["content_farm"]
    assert farm_flag.verdict.value == "flag" and farm_flag.severity.value == "medium"
    assert farm_flag.evidence["corroborated_by"] == ["metadata"]


def test_distinct_lengths_pass_and_a_burst_from_a_new_account_is_flagged(make_app, db, tmp_path):
    app = make_app(content_farm_rules=FarmRules(burst_masters=4))
    platform = app.extensions["storefront"]
    new_user, old_user = make_user(db, platform), make_user(db, platform)
    old_user.created_at = utcnow() - timedelta(days=90)
    commit(db)
    outcomes = {}
    for user, slug in ((new_user, "newcomer"), (old_user, "veteran")):
        artist = make_artist(db, fresh(db).get(User, user.id), slug=slug)
        web = WebClient(app)
        web.login(user.email, PASSWORD)
        account = Account(web, artist.id, user.id, slug)
        release = make_release(db, fresh(db).get(Artist, artist.id))
        uploads = [
            account.upload(
                db,
                master(tmp_path / f"{slug} {n}.flac", seed=50 + n, seconds=4.0 + 3 * n),
                release_id=release.id,
            )
            for n in range(4)
        ]
        outcomes[slug] = [results(db, u.id)["content_farm"] for u in uploads]

    assert [r.verdict.value for r in outcomes["newcomer"]] == ["pass", "pass", "pass", "note"]
    flagged = outcomes["newcomer"][-1]
    assert "a new account" in flagged.summary and "sent 4 masters" in flagged.summary
    assert [r.verdict.value for r in outcomes["veteran"]] == ["pass"] * 4
    assert outcomes["veteran"][-1].evidence["masters_in_burst_window"] == 4


# -- a detector, when one is configured ----------------------------------------------------------------
def test_a_configured_detector_adds_its_score_and_none_means_no_result(accounts, db, platform, files):
    band = accounts("band")
    without = band.upload(db, files["distinct"])
    assert "detector" not in results(db, without.id)

    platform.music_detector = FixedDetector(0.93)
    flagged = band.upload(db, files["original"])
    found = results(db, flagged.id)["detector"]
    assert found.verdict.value == "flag" and found.severity.value == "medium"
    assert found.evidence == {"detector": "fixed-test-detector", "score": 0.93, "flag_at": 0.8}
    assert len(platform.music_detector.heard) == 1

    platform.music_detector = BrokenDetector()
    broken = band.upload(db, files["gain"], name="Quiet.flac")
    failed = results(db, broken.id)["detector"]
    assert failed.verdict.value == "unavailable" and "model weights not found" in failed.summary
    assert screening_health(platform)["checks"]["detector"]["detail"] == "detector broken-test-detector"


# -- running again, and files that went away ---------------------------------------------------------------
def _context(platform, attempt: int = 1) -> JobContext:
    return JobContext(0, "provenance.screen_upload", attempt, platform.database, platform)


@pytest.mark.usefixtures("chromaprint")
def test_running_again_replaces_results_and_storage_trouble_is_reported(accounts, db, platform, files):
    band = accounts("band")
    upload = band.upload(db, files["original"])
    before = results(db, upload.id)
    screen_upload(_context(platform), {"upload_id": upload.id})
    after = results(db, upload.id)
    assert set(after) == set(before) == {"c2pa", "metadata", "fingerprint", "content_farm"}
    assert {k: r.id for k, r in after.items()} == {k: r.id for k, r in before.items()}
    assert after["fingerprint"].verdict.value == "pass"  # it does not match its own earlier fingerprint
    assert fresh(db).scalar(select(func.count(Fingerprint.id))) == 1

    real_open = platform.storage.open

    def timing_out(key):
        raise TimeoutError("storage timed out")

    platform.storage.open = timing_out
    with pytest.raises(TimeoutError):  # retried by the runner while attempts remain
        screen_upload(_context(platform, attempt=1), {"upload_id": upload.id})
    screen_upload(_context(platform, attempt=5), {"upload_id": upload.id})
    platform.storage.open = real_open
    faulted = results(db, upload.id)
    assert {r.verdict.value for r in faulted.values()} == {"unavailable"}
    assert "could not be read from storage (TimeoutError)" in faulted["metadata"].summary

    platform.storage.delete(upload.final_key)
    screen_upload(_context(platform), {"upload_id": upload.id})
    gone = results(db, upload.id)
    assert {r.verdict.value for r in gone.values()} == {"unavailable"}
    assert "no longer in storage" in gone["c2pa"].summary
    assert len(results_for_release(fresh(db), upload.release_id)) == 4


def test_a_refused_replacement_gives_the_track_its_previous_master_back(accounts, db, platform, ca, tmp_path):
    band = accounts("keepers")
    release = make_release(db, fresh(db).get(Artist, band.artist_id), tracks=1)
    track_id = release.tracks[0].id
    good = master(tmp_path / "take1.flac", seed=41, seconds=10)
    up = Uploader(band.web, release.id, band.slug)
    up.upload("master", "take1.flac", good.read_bytes(), "audio/flac", track_id=track_id)
    first = fresh(db).scalar(select(Upload).where(Upload.original_filename == "take1.flac"))
    assert first.status == UploadStatus.READY
    signed = c2pa_sign(
        master(tmp_path / "plain.flac", seed=42, seconds=10),
        tmp_path / "take2.flac",
        ca,
        manifest("trainedAlgorithmicMedia", generator="SongForge AI"),
    )
    up.upload("master", "take2.flac", signed.read_bytes(), "audio/flac", track_id=track_id)
    fresh(db)
    refused = db.scalar(select(Upload).where(Upload.original_filename == "take2.flac"))
    assert refused.status == UploadStatus.REJECTED
    assert "take1.flac, is back in its place" in refused.problems[0]["advice"]
    back = db.get(Upload, first.id)
    assert back.status == UploadStatus.READY and platform.storage.exists(back.final_key)
    assert db.get(Track, track_id).master.id == first.id
