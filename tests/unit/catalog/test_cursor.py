"""Keyset cursors and tags, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storefront.catalog.browse import Cursor, CursorError, parse_cursors
from storefront.catalog.models import normalise_tag, public_tags


def test_a_cursor_round_trips_to_the_microsecond():
    cursor = Cursor(datetime(2026, 12, 11, 12, 30, 5, 123456, tzinfo=UTC), 42)
    assert cursor.encode() == "1796992205123456-42"
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "42",
        "-1-1",
        "1.5-2",
        "1-",
        "-1",
        "abc-1",
        "1-99999999999999999999",
        "1-9223372036854775808",
        "1 -1",
    ],
)
def test_a_cursor_we_did_not_make_is_refused(raw):
    with pytest.raises(CursorError):
        Cursor.decode(raw)


def test_a_page_link_has_before_or_after_not_both():
    assert parse_cursors(None, None) == (None, None)
    assert parse_cursors("5-1", None) == (Cursor.decode("5-1"), None)
    with pytest.raises(CursorError):
        parse_cursors("5-1", "6-1")


def test_tags_are_stored_lower_case_with_single_spaces_and_once():
    assert normalise_tag("  Post   Rock ") == "post rock"
    assert normalise_tag(7) == ""
    assert len(normalise_tag("x" * 100)) == 40
    assert public_tags(["Dub", "dub ", "", None, "Tape  Loops"]) == ["dub", "tape loops"]
