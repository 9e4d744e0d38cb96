"""Content-Disposition values: RFC 6266 shape, and safe whatever name an artist typed."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from storefront.storage.naming import content_disposition, safe_filename


def parsed_filename(header: str) -> str | None:
    """The file name an RFC 6266 client reads back: `filename*` wins over `filename`."""
    params = dict(part.strip().split("=", 1) for part in header.split(";")[1:])
    if "filename*" in params:
        charset, _, encoded = params["filename*"].partition("''")
        assert charset == "UTF-8"
        return unquote(encoded, encoding="utf-8", errors="strict")
    return params["filename"].strip('"') if "filename" in params else None


def test_plain_ascii_name() -> None:
    assert content_disposition("Night Drive.flac") == 'attachment; filename="Night Drive.flac"'
    assert content_disposition("cover.jpg", inline=True) == 'inline; filename="cover.jpg"'


def test_no_name() -> None:
    assert content_disposition(None) == "attachment"
    assert content_disposition(None, inline=True) == "inline"


def test_unicode_name_gets_an_ascii_fallback_and_utf8_form() -> None:
    header = content_disposition("Sigur Rós \u2013 Hoppípolla.flac")
    assert header == (
        "attachment; filename=\"Sigur Ros _ Hoppipolla.flac\"; filename*=UTF-8''"
        "Sigur%20R%C3%B3s%20%E2%80%93%20Hopp%C3%ADpolla.flac"
    )
    assert parsed_filename(header) == "Sigur Rós \u2013 Hoppípolla.flac"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ('say "hi".mp3', 'say "hi".mp3'),
        ("back\\slash.mp3", "back_slash.mp3"),
        ("AC/DC - Live.flac", "AC_DC - Live.flac"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("a\r\nSet-Cookie: x=1.mp3", "aSet-Cookie: x=1.mp3"),
        ("tab\tand\x00nul\x7f.wav", "tabandnul.wav"),
        ("rtl\u202eevil.exe.mp3", "rtlevil.exe.mp3"),
        ("100%.flac", "100%.flac"),
        ("  ..  ", "download"),
        ("", "download"),
    ],
)
def test_hostile_names_cannot_break_the_header(name: str, expected: str) -> None:
    assert safe_filename(name) == expected
    header = content_disposition(name)
    assert "\r" not in header and "\n" not in header
    # The quoted fallback holds no quote or backslash that could end it early.
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in fallback and "\\" not in fallback and "%" not in fallback
    assert parsed_filename(header) == expected


def test_long_names_keep_their_extension() -> None:
    name = safe_filename("x" * 400 + ".flac")
    assert len(name) == 150
    assert name.endswith("x.flac")


def test_chinese_name_fallback_keeps_the_extension() -> None:
    header = content_disposition("夜曲.mp3")
    assert header == "attachment; filename=\"__.mp3\"; filename*=UTF-8''%E5%A4%9C%E6%9B%B2.mp3"
    assert parsed_filename(header) == "夜曲.mp3"
