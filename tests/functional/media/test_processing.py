"""A master through the real upload flow: analysis, preview and the common formats made, tagged, retried."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import av
import pytest
from flask import render_template
from sqlalchemy import select

from storefront.audio.tagging import TrackTags, read_tags
from storefront.db import commit
from storefront.jobs.runner import JobContext
from storefront.media.models import MediaStatus, Rendition, TrackAnalysis
from storefront.media.recipes import PRECOMPUTED, PREVIEW_FORMAT
from storefront.media.views import media_panel
from storefront.media.workshop import AudioWorkshop
from storefront.releases.models import Release, Track
from storefront.releases.uploads.pipeline import PROCESS_JOB
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.releases import cover_bytes, make_release, master_bytes
from tests.functional.releases.test_uploads import Uploader
from tests.helpers import fresh, text_of


class FailingWorkshop(AudioWorkshop):
    """The real encoders, except for the formats told to fail; counts what it was asked to make."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.failing: set[str] = set()
        self.rendered: list[str] = []

    def render(self, master: Path, outputs: Mapping[str, Path], tags: TrackTags) -> None:
        broken = self.failing.intersection(outputs)
        if broken:
            raise RuntimeError(f"encoder crashed on {sorted(broken)[0]}")
        self.rendered.extend(outputs)
        super().render(master, outputs, tags)


@pytest.fixture
def workshop() -> FailingWorkshop:
    return FailingWorkshop()


@pytest.fixture
def app(make_app, workshop):
    return make_app(audio_workshop=workshop)


@pytest.fixture
def studio(web, db, platform, tmp_path):
    """A signed-in artist whose release has a cover and one track with an ISRC, and an uploader for it."""
    user = make_user(db, platform)
    artist = make_artist(db, user, slug="band", name="The Band")
    web.login(user.email, PASSWORD)
    release = make_release(db, artist, title="Harbour", tracks=1)
    release.tracks[0].title, release.tracks[0].isrc = "Low Tide", "GBABC2400001"
    commit(db)
    up = Uploader(web, release.id)
    up.upload("artwork", "cover.jpg", cover_bytes(1400), "image/jpeg")
    return release, up


def _upload_master(up, release, tmp_path, seed=1):
    data = master_bytes(tmp_path, seed=seed, seconds=4)
    up.upload("master", "low tide.flac", data, "audio/flac", track_id=release.tracks[0].id)


def _renditions(db, track_id) -> dict[str, Rendition]:
    return {r.format: r for r in fresh(db).scalars(select(Rendition).where(Rendition.track_id == track_id))}


def _fetch(platform, key: str, dest: Path) -> Path:
    with platform.storage.open(key) as fh:
        dest.write_bytes(fh.read())
    return dest


def _panel(app, artist_release) -> str:
    release = artist_release
    with app.test_request_context():
        panels = {"media": media_panel(release)}
        return render_template(
            "media/_workspace_files.html", artist=release.artist, release=release, panels=panels
        )


def test_an_accepted_master_is_analysed_previewed_and_encoded(web, db, platform, studio, tmp_path):
    release, up = studio
    _upload_master(up, release, tmp_path)
    track = fresh(db).get(Track, release.tracks[0].id)

    analysis = db.scalar(select(TrackAnalysis).where(TrackAnalysis.track_id == track.id))
    assert analysis.upload_id == track.master.id
    assert -40 < analysis.loudness_lufs < 0 and analysis.true_peak_dbtp <= 0.5
    assert abs(analysis.duration_seconds - 4) < 0.01 and len(analysis.peaks) == 1600

    renditions = _renditions(db, track.id)
    assert set(renditions) == {PREVIEW_FORMAT, *PRECOMPUTED}  # the rest waits for a first request
    assert all(r.status == MediaStatus.READY and r.key.startswith("media/") for r in renditions.values())
    for fmt, rendition in renditions.items():
        path = _fetch(platform, rendition.key, tmp_path / f"{fmt}{Path(rendition.key).suffix}")
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            assert stream.codec_context.sample_rate == 44100, fmt
            assert sum(f.samples for f in container.decode(stream)) > 3.5 * 44100, fmt
        tags = read_tags(path)
        assert (tags["title"], tags["artist"], tags["album"]) == ("Low Tide", "The Band", "Harbour"), fmt
        assert tags["certificate_url"] == f"http://localhost/releases/{release.id}/certificate", fmt
        assert tags["tdm_reservation"] is True, fmt
        if fmt != PREVIEW_FORMAT:
            assert (tags["track_number"], tags["disc_number"], tags["isrc"]) == (1, 1, "GBABC2400001"), fmt
            assert tags["cover"][:3] == b"\xff\xd8\xff", fmt

    page = _panel(web.app, fresh(db).get(Release, release.id))
    assert "Low Tide" in page and "LUFS" in page and page.count(">ready<") == 5


def test_processing_again_makes_nothing_twice(db, platform, studio, workshop, tmp_path):
    release, up = studio
    _upload_master(up, release, tmp_path)
    track = fresh(db).get(Track, release.tracks[0].id)
    before = {f: (r.key, r.sha256, r.updated_at) for f, r in _renditions(db, track.id).items()}
    calls = len(workshop.rendered)

    handler = platform.registry.get(PROCESS_JOB)
    handler(JobContext(0, PROCESS_JOB.name, 1, platform.database, platform), {"upload_id": track.master.id})

    assert len(workshop.rendered) == calls
    assert {f: (r.key, r.sha256, r.updated_at) for f, r in _renditions(db, track.id).items()} == before


def test_a_failed_format_shows_its_reason_and_can_be_retried(web, db, platform, studio, workshop, tmp_path):
    release, up = studio
    workshop.failing = {"mp3-320"}
    _upload_master(up, release, tmp_path)
    track_id = release.tracks[0].id

    renditions = _renditions(db, track_id)
    failed = renditions["mp3-320"]
    assert failed.status == MediaStatus.FAILED
    assert failed.error == "MP3 320 kbps could not be made: encoder crashed on mp3-320"
    # The other formats did not pay for one encoder's fault.
    ready = {f for f, r in renditions.items() if r.status == MediaStatus.READY}
    assert ready == {PREVIEW_FORMAT, *PRECOMPUTED} - {"mp3-320"}
    page = _panel(web.app, fresh(db).get(Release, release.id))
    assert "encoder crashed on mp3-320" in page and "Retry" in page

    workshop.failing.clear()
    retried = web.submit(up.base, action=f"{up.base}/renditions/{failed.id}/retry")
    assert retried.status_code == 302 and retried.location.endswith("#media")
    again = _renditions(db, track_id)["mp3-320"]
    assert again.status == MediaStatus.READY and again.error is None and again.generation == 1
    assert platform.storage.exists(again.key)


def test_a_new_master_makes_new_files_and_removes_the_old(db, platform, studio, tmp_path):
    release, up = studio
    _upload_master(up, release, tmp_path, seed=1)
    old_keys = [r.key for r in _renditions(db, release.tracks[0].id).values()]
    _upload_master(up, release, tmp_path, seed=2)

    track = fresh(db).get(Track, release.tracks[0].id)
    renditions = _renditions(db, track.id)
    assert {r.upload_id for r in renditions.values()} == {track.master.id}
    assert all(r.status == MediaStatus.READY for r in renditions.values())
    assert not any(platform.storage.exists(key) for key in old_keys)
    analysis = db.scalar(select(TrackAnalysis).where(TrackAnalysis.track_id == track.id))
    assert analysis.upload_id == track.master.id


def test_a_clip_policy_remakes_the_previews(web, db, platform, studio, tmp_path):
    release, up = studio
    _upload_master(up, release, tmp_path)
    old_key = _renditions(db, release.tracks[0].id)[PREVIEW_FORMAT].key

    refused = web.submit(
        up.base, {"mode": "clip", "clip_start": "1", "clip_length": "2"}, action=f"{up.base}/preview-policy"
    )
    assert refused.status_code == 302
    assert "The preview was not changed" in text_of(web.get(up.base + "?step=previews"))
    saved = web.submit(
        up.base, {"mode": "clip", "clip_start": "1", "clip_length": "6"}, action=f"{up.base}/preview-policy"
    )
    assert saved.status_code == 302

    preview = _renditions(db, release.tracks[0].id)[PREVIEW_FORMAT]
    assert preview.status == MediaStatus.READY and preview.params == {"start": 1.0, "length": 6.0}
    assert preview.key != old_key and not platform.storage.exists(old_key)
    with av.open(str(_fetch(platform, preview.key, tmp_path / "clip.mp3"))) as container:
        frames = sum(f.samples for f in container.decode(container.streams.audio[0]))
    # A clip longer than the track is the whole track: 4 s, not 6.
    assert 3.9 * 44100 < frames < 4.2 * 44100
