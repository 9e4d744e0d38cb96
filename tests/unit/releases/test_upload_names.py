"""Reading a plain form's file name back from the key storage reports: only one object under the prefix."""

from __future__ import annotations

import pytest

from storefront.releases.models import Upload
from storefront.releases.uploads.names import form_prefix, sent_name, shown_name

PREFIX = "staging/4/17/0123456789abcdef/"


def _form_upload() -> Upload:
    return Upload(staging_key=PREFIX + "${filename}", original_filename="Cover")


def test_a_name_directly_under_the_prefix_is_read_back() -> None:
    upload = _form_upload()
    assert form_prefix(upload) == PREFIX
    assert sent_name(upload, PREFIX + "my cover.jpg") == "my cover.jpg"
    assert sent_name(upload, PREFIX + "日本 «x».jpg") == "日本 «x».jpg"


@pytest.mark.parametrize(
    "key",
    [
        "staging/4/18/0123456789abcdef/my cover.jpg",  # another upload's prefix
        "releases/4/17/master.flac",
        PREFIX,  # no name at all
        PREFIX + "a/b.jpg",
        PREFIX + "../../../x.jpg",
        PREFIX + "..",
        PREFIX + "a\\b.jpg",
        PREFIX + "a\x00b.jpg",
        PREFIX + "x" * (300 - len(PREFIX) + 1),  # longer than the database keeps
    ],
)
def test_any_other_key_is_refused(key: str) -> None:
    assert sent_name(_form_upload(), key) is None


def test_an_upload_with_an_exact_key_takes_no_name_from_storage() -> None:
    upload = Upload(staging_key=PREFIX + "object", original_filename="song.flac")
    assert form_prefix(upload) is None
    assert sent_name(upload, PREFIX + "object") is None


def test_names_are_shown_as_the_artist_typed_them_and_safe() -> None:
    assert shown_name("say %22hi%22.jpg") == 'say "hi".jpg'
    assert shown_name("two%0D%0Alines.jpg") == "two lines.jpg"
    assert shown_name("evil\u202egpj.jpg") == "evilgpj.jpg"
    assert shown_name("\x1b[31mred.jpg") == "[31mred.jpg"
