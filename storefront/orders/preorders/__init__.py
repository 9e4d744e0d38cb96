"""Pre-orders: the release-day pass that gives every buyer the whole release and tells them so."""

from __future__ import annotations

from .release_day import RELEASE_DAY_JOB, register_cli, register_jobs

__all__ = ["RELEASE_DAY_JOB", "register_cli", "register_jobs"]
