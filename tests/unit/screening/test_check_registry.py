"""The registered screening checks: one per kind of result, each handed only what it names."""

from __future__ import annotations

import pytest

from storefront.config import Settings
from storefront.screening.checks import CHECKS
from storefront.screening.checks.base import Given, NeedNotGiven, Outcome, Subject
from storefront.screening.checks.content_farm import ContentFarmCheck
from storefront.screening.models import ScreeningCheck, ScreeningVerdict, Severity

SUBJECT = Subject(1, 2, 3, None, "a.flac", "releases/a.flac", "flac", 20.0, None)


def test_every_result_has_one_registered_check_in_the_order_results_are_shown() -> None:
    assert [check.name for check in CHECKS] == list(ScreeningCheck)


def test_a_check_given_less_than_it_needs_fails_loudly() -> None:
    given = Given(SUBJECT, Settings())
    with pytest.raises(NeedNotGiven, match="FILE"):
        given.path  # noqa: B018
    with pytest.raises(NeedNotGiven, match="CATALOG"):
        given.session  # noqa: B018


def _farm_note() -> Outcome:
    return Outcome(
        ScreeningCheck.CONTENT_FARM,
        ScreeningVerdict.NOTE,
        Severity.LOW,
        "Content-farm pattern: many masters.",
        {"severity_if_corroborated": "high"},
    )


def test_a_content_farm_note_stays_a_note_alone_and_becomes_a_flag_beside_a_finding() -> None:
    farm, note = ContentFarmCheck(), _farm_note()
    alone = farm.weigh(note, [note])
    assert (alone.verdict, alone.severity) == (ScreeningVerdict.NOTE, Severity.LOW)
    assert alone.summary.endswith("Only a note: nothing else was found in this file.")
    copy = Outcome(ScreeningCheck.FINGERPRINT, ScreeningVerdict.FLAG, Severity.HIGH, "Possible copy.")
    raised = farm.weigh(note, [note, copy])
    assert (raised.verdict, raised.severity) == (ScreeningVerdict.FLAG, Severity.HIGH)
    assert raised.evidence["corroborated_by"] == ["fingerprint"]
