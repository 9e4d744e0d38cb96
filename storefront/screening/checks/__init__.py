"""The screening checks, in the order the job runs them (those needing the catalog search last, as the
results are stored). A new check is a module here with a `Check` subclass, and one line in `CHECKS`."""

from __future__ import annotations

from .base import Check
from .c2pa import C2paCheck
from .content_farm import ContentFarmCheck
from .detector import DetectorCheck
from .fingerprint import FingerprintCheck
from .metadata import MetadataCheck

CHECKS: tuple[Check, ...] = (
    C2paCheck(),
    MetadataCheck(),
    FingerprintCheck(),
    ContentFarmCheck(),
    DetectorCheck(),
)
