"""Integration suite: tests that talk to real services started for the test session."""

# pytest accepts `pytest_plugins` only in the top-level conftest, so the fixtures are imported here;
# once tests/conftest.py declares `pytest_plugins = ["tests.services.seaweedfs"]` this import goes.
from tests.services.seaweedfs import s3_storage, seaweedfs

__all__ = ["s3_storage", "seaweedfs"]
