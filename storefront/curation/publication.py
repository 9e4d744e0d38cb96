"""What other rooms do when a release becomes public (approved, or reinstated on appeal), in that transaction.

Filled while the app is wired (fans: tell the release's followers); each hook only queues its work.
"""

from __future__ import annotations

from collections.abc import Callable

from ..jobs.interfaces import JobQueue
from ..releases.models import Release

ReleasePublished = Callable[[JobQueue, Release], None]


class PublicationHooks:
    def __init__(self) -> None:
        self._hooks: list[ReleasePublished] = []

    def add(self, hook: ReleasePublished) -> None:
        self._hooks.append(hook)

    def run(self, queue: JobQueue, release: Release) -> None:
        for hook in self._hooks:
            hook(queue, release)
