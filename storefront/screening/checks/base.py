"""What every screening check is: a name, what it needs, and `run(given) -> Outcome`; and what it returns."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from sqlalchemy.orm import Session

from ...config import Settings
from ...releases.models import UploadKind
from ..interfaces import MusicDetector
from ..models import ScreeningCheck, ScreeningVerdict, Severity

if TYPE_CHECKING:
    from ..catalog import Printed

_T = TypeVar("_T")


@dataclass(frozen=True)
class Outcome:
    check: ScreeningCheck
    verdict: ScreeningVerdict
    severity: Severity = Severity.NONE
    summary: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


def unavailable(check: ScreeningCheck, reason: str, severity: Severity = Severity.LOW) -> Outcome:
    """A check that could not run. Low severity by default, so a release missing one never looks cleaner
    in the queue than a release that was fully screened."""
    return Outcome(check, ScreeningVerdict.UNAVAILABLE, severity, reason, {"reason": reason})


@dataclass(frozen=True)
class Subject:
    """What the checks need to know about the file, read once so no check holds a session open."""

    upload_id: int
    artist_id: int
    release_id: int
    track_id: int | None
    filename: str
    final_key: str
    format: str
    duration: float
    uploaded_by_id: int | None
    kind: str = "master"


class Need(enum.Enum):
    """What the screening job provides a check beyond the subject and the settings."""

    # The file itself, copied from storage. When it cannot be read, every check is recorded unavailable.
    FILE = "file"
    # The file's acoustic fingerprint and its matches in the catalog, computed once per run. A check that
    # needs it runs when the results are stored, so that fingerprints stored meanwhile are compared too;
    # when the fingerprint cannot be computed, the check is recorded unavailable with the reason.
    PRINT = "print"
    # A session on the catalog (other uploads, accounts), open only while the check runs.
    CATALOG = "catalog"
    # The platform's AI-music detector. Without one the check does not run and leaves no result.
    DETECTOR = "detector"


@dataclass(frozen=True)
class Given:
    """What a check is handed: the subject and the settings, and whatever its `needs` name."""

    subject: Subject
    settings: Settings
    file: Path | None = None
    catalog: Session | None = None
    found: Printed | None = None
    music_detector: MusicDetector | None = None

    @property
    def path(self) -> Path:
        return _met(self.file, Need.FILE)

    @property
    def session(self) -> Session:
        return _met(self.catalog, Need.CATALOG)

    @property
    def printed(self) -> Printed:
        return _met(self.found, Need.PRINT)

    @property
    def detector(self) -> MusicDetector:
        return _met(self.music_detector, Need.DETECTOR)


class NeedNotGiven(LookupError):
    """A check used something it does not name among its `needs`."""


def _met(value: _T | None, need: Need) -> _T:
    if value is None:
        raise NeedNotGiven(f"{need.name} was not given: the check must list it in its needs")
    return value


class Check(ABC):
    """One automated check. Subclasses set `name` and implement `run`; the other attributes say when the
    job runs it. An exception from `run` is recorded as this check being unavailable."""

    name: ClassVar[ScreeningCheck]
    needs: ClassVar[frozenset[Need]] = frozenset({Need.FILE})
    kinds: ClassVar[frozenset[UploadKind]] = frozenset({UploadKind.MASTER})
    # Whether it still runs once an earlier check has refused the file: a refused file joins no catalog,
    # so only what helps explain the refusal is worth running.
    runs_on_refused: ClassVar[bool] = False

    @abstractmethod
    def run(self, given: Given) -> Outcome: ...

    def weigh(self, outcome: Outcome, alongside: Sequence[Outcome]) -> Outcome:
        """This check's outcome reconsidered beside every outcome for the same file; as it is by default."""
        return outcome
