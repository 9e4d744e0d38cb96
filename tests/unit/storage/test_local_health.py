"""The local directory's health probe: workers probing at once each get a true answer."""

from __future__ import annotations

import threading
from pathlib import Path

from storefront.storage.local import LocalStorage


def test_probes_at_the_same_time_never_report_a_healthy_directory_as_broken(tmp_path: Path) -> None:
    storage = LocalStorage(str(tmp_path / "store"), secret_key="k" * 40)
    start = threading.Barrier(8)
    answers: list[bool] = []

    def probe() -> None:
        start.wait()
        answers.extend(storage.check().ok for _ in range(200))

    threads = [threading.Thread(target=probe) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [True] * 1600
    # The probes leave nothing behind that could be mistaken for an object.
    assert list(storage.list_objects("")) == []
