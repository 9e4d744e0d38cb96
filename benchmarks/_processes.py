"""Child processes of a benchmark: each in a process group of its own, always stopped, never left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from typing import Any


def start(command: list[str], **options: Any) -> subprocess.Popen[bytes]:
    # A session of its own: one signal to the group reaches the process and anything it forked.
    return subprocess.Popen(command, start_new_session=True, stdin=subprocess.DEVNULL, **options)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def stop(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """Ask the group to stop; after `grace` seconds, kill it. A benchmark's results are in by the time it
    stops its children, so a job still running in a worker is not worth waiting for on a loaded machine."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    # Whatever is left of the group (the leader, or children it left behind) is killed and reaped.
    _signal_group(process, signal.SIGKILL)
    process.wait()
