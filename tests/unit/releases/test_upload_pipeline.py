"""The upload pipeline's table: moves outside it are refused, the rest are recorded with reason and time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storefront.db import utcnow
from storefront.jobs.interfaces import JobRegistry
from storefront.releases.models import Upload, UploadKind, UploadStatus
from storefront.releases.uploads.pipeline import (
    INITIAL,
    LABELS,
    PROCESS_JOB,
    SCREEN_JOB,
    TRANSITIONS,
    VALIDATE_JOB,
    IllegalTransition,
    begin,
    move,
    whereabouts,
)
from storefront.releases.uploads.validation import FOLLOW_UPS, check_follow_ups


def _upload(status: UploadStatus = UploadStatus.AWAITING) -> Upload:
    return Upload(id=7, kind=UploadKind.MASTER, status=status, original_filename="a.flac", problems=[])


def test_the_table_names_every_state_and_only_states() -> None:
    assert set(TRANSITIONS) == set(UploadStatus) == set(LABELS)
    assert all(targets <= set(UploadStatus) for targets in TRANSITIONS.values())
    assert TRANSITIONS[UploadStatus.REJECTED] == frozenset()  # the end of the road
    assert INITIAL is UploadStatus.AWAITING


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (UploadStatus.AWAITING, UploadStatus.READY),  # never checked
        (UploadStatus.REJECTED, UploadStatus.VALIDATING),  # a refused file is uploaded again, not retried
        (UploadStatus.REPLACED, UploadStatus.REJECTED),
        (UploadStatus.READY, UploadStatus.VALIDATING),
        (UploadStatus.VALIDATING, UploadStatus.VALIDATING),
    ],
)
def test_a_move_outside_the_table_is_refused_and_changes_nothing(current, target) -> None:
    upload = _upload(current)
    with pytest.raises(IllegalTransition, match=f"from {current.value} to {target.value}"):
        move(upload, target, "should not happen")
    assert upload.status is current and upload.transitions == []


def test_every_move_is_recorded_with_its_reason_and_time() -> None:
    upload = _upload()
    before = utcnow()
    begin(upload, "ticket issued")
    move(upload, UploadStatus.VALIDATING, "arrived")
    move(upload, UploadStatus.FAILED, "storage did not answer")
    move(upload, UploadStatus.VALIDATING, "retried")
    move(upload, UploadStatus.READY, "accepted")
    rows = [(t.from_status, t.to_status, t.reason) for t in upload.transitions]
    assert rows == [
        (None, UploadStatus.AWAITING, "ticket issued"),
        (UploadStatus.AWAITING, UploadStatus.VALIDATING, "arrived"),
        (UploadStatus.VALIDATING, UploadStatus.FAILED, "storage did not answer"),
        (UploadStatus.FAILED, UploadStatus.VALIDATING, "retried"),
        (UploadStatus.VALIDATING, UploadStatus.READY, "accepted"),
    ]
    times = [t.at for t in upload.transitions]
    assert all(t.upload_id == 7 for t in upload.transitions)
    assert before <= times[0] and times == sorted(times) and times[-1] - before < timedelta(minutes=1)
    assert upload.status is UploadStatus.READY


def test_an_upload_begins_only_in_the_initial_state() -> None:
    with pytest.raises(IllegalTransition):
        begin(_upload(UploadStatus.READY), "made ready out of nothing")


def test_whereabouts_says_where_and_why() -> None:
    upload = _upload()
    begin(upload, "ticket issued")
    move(upload, UploadStatus.VALIDATING, "the file arrived")
    where = whereabouts(upload)
    assert (where.state, where.label) == (UploadStatus.VALIDATING, "checking…")
    assert where.reason == "the file arrived"
    assert where.since == upload.transitions[-1].at and len(where.history) == 2
    assert upload.whereabouts == where

    upload.problems = [{"code": "truncated", "message": "a.flac ends early.", "advice": "Export it again."}]
    move(upload, UploadStatus.REJECTED, "refused by the check: a.flac ends early.")
    assert whereabouts(upload).reason == "a.flac ends early."  # the artist's own words for it


def test_an_upload_from_before_the_record_still_has_an_answer() -> None:
    upload = _upload(UploadStatus.READY)
    where = whereabouts(upload)
    assert (where.state, where.label, where.reason, where.since, where.history) == (
        UploadStatus.READY,
        "ready",
        "",
        None,
        (),
    )


def test_follow_ups_are_jobs_and_an_unregistered_one_refuses_start_up() -> None:
    assert FOLLOW_UPS[UploadKind.MASTER] == (SCREEN_JOB, PROCESS_JOB)
    registry = JobRegistry()
    registry.add(VALIDATE_JOB, lambda context, payload: None)
    registry.add(PROCESS_JOB, lambda context, payload: None)
    missing = r"provenance\.screen_upload \(after an accepted artwork, master\)"
    with pytest.raises(RuntimeError, match=missing):
        check_follow_ups(registry)
    registry.add(SCREEN_JOB, lambda context, payload: None)
    check_follow_ups(registry)
