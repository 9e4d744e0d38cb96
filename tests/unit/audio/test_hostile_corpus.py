"""Every case of the hostile corpus gets the report it should: named problems and no exceptions."""

from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path

import pytest

from storefront.audio.inspect.probe import MasterLimits, inspect_master
from storefront.audio.problems import Problem
from storefront.releases.artwork import ArtworkLimits, normalise_artwork
from tests.factories.hostile import HostileCase, build_corpus, case_names


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, HostileCase]:
    return {case.name: case for case in build_corpus(tmp_path_factory.mktemp("hostile"))}


def _check_report(case: HostileCase, codes: list[str], problems: list[Problem], filename: str) -> None:
    # No time limit here: a hostile file that makes us decode too much is refused by the size checks
    # (its expected code), which say more than a stopwatch on a shared machine would.
    assert sorted(codes) == sorted(case.expected), [p.message for p in problems]
    for text in case.contains:
        assert any(text in p.message for p in problems), (text, [p.message for p in problems])
    # The report is safe to show whatever the upload was called.
    assert filename and "/" not in filename and "\\" not in filename
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in filename)
    for problem in problems:
        assert f"“{filename}”" in problem.message
        assert problem.advice.endswith(".")
        assert problem.message.endswith(".")


def test_corpus_covers_enough_cases(corpus: dict[str, HostileCase]) -> None:
    hostile = [c for c in corpus.values() if c.expected]
    assert len(hostile) >= 40
    assert {c.target for c in corpus.values() if not c.expected} == {"master", "artwork"}
    for case in corpus.values():
        assert case.path.is_file()
        assert case.path.name.endswith(".upload")  # stored under a neutral name, never the uploader's


@pytest.mark.parametrize("name", case_names("master"))
def test_master_case(corpus: dict[str, HostileCase], name: str) -> None:
    case = corpus[name]
    limits = dataclasses.replace(MasterLimits(), **case.overrides)
    report = inspect_master(case.path, filename=case.filename, limits=limits)
    _check_report(case, report.codes, report.problems, report.filename)
    assert report.ok is not bool(case.expected)
    if report.ok:
        assert report.format in ("FLAC", "WAV", "AIFF", "ALAC")
        assert report.duration_seconds is not None and report.duration_seconds >= 1.0
        assert len(report.sha256) == 64


@pytest.mark.parametrize("name", case_names("artwork"))
def test_artwork_case(corpus: dict[str, HostileCase], name: str) -> None:
    case = corpus[name]
    limits = dataclasses.replace(ArtworkLimits(), **case.overrides)
    result = normalise_artwork(case.path, filename=case.filename, limits=limits)
    report = result.report
    _check_report(case, report.codes, report.problems, report.filename)
    assert (result.artwork is not None) is not bool(case.expected)


def test_hostile_names_never_reach_the_file_system(corpus: dict[str, HostileCase], tmp_path: Path) -> None:
    traversal = corpus["name_traversal"]
    report = inspect_master(traversal.path, filename=traversal.filename)
    assert report.ok
    assert report.filename == "passwd.flac"
    overridden = inspect_master(corpus["name_direction_override"].path, filename="evil\u202ecalf.flac")
    assert overridden.filename == "evilcalf.flac"
