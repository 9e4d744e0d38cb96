"""Integration suite: tests that talk to real services started for the test session (see tests/services)."""
