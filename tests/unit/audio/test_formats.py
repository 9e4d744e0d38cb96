"""The catalogue of download and preview formats."""

from __future__ import annotations

import pytest

from storefront.audio.formats import (
    DOWNLOAD_FORMATS,
    PRECOMPUTED_KEYS,
    PREVIEW_FORMATS,
    Container,
    get_format,
    preview_format,
)


def test_every_download_format_fans_are_offered_is_catalogued() -> None:
    assert set(DOWNLOAD_FORMATS) == {
        "flac",
        "flac-16-44",
        "alac",
        "wav",
        "aiff",
        "mp3-320",
        "mp3-v0",
        "aac-256",
        "ogg-vorbis",
        "opus",
    }


@pytest.mark.parametrize(
    ("key", "extension", "mime", "lossless", "container"),
    [
        ("flac", "flac", "audio/flac", True, Container.FLAC),
        ("flac-16-44", "flac", "audio/flac", True, Container.FLAC),
        ("alac", "m4a", "audio/mp4", True, Container.MP4),
        ("wav", "wav", "audio/wav", True, Container.WAV),
        ("aiff", "aiff", "audio/aiff", True, Container.AIFF),
        ("mp3-320", "mp3", "audio/mpeg", False, Container.MP3),
        ("mp3-v0", "mp3", "audio/mpeg", False, Container.MP3),
        ("aac-256", "m4a", "audio/mp4", False, Container.MP4),
        ("ogg-vorbis", "ogg", "audio/ogg", False, Container.OGG_VORBIS),
        ("opus", "opus", "audio/ogg", False, Container.OGG_OPUS),
    ],
)
def test_format_properties(key: str, extension: str, mime: str, lossless: bool, container: Container) -> None:
    fmt = get_format(key)
    assert (fmt.key, fmt.extension, fmt.mime_type, fmt.lossless, fmt.container) == (
        key,
        extension,
        mime,
        lossless,
        container,
    )
    assert fmt.filename_suffix == f".{extension}"
    assert fmt.label


def test_fixed_resolutions() -> None:
    assert (get_format("flac-16-44").sample_rate, get_format("flac-16-44").bit_depth) == (44100, 16)
    assert get_format("opus").sample_rate == 48000
    assert get_format("flac").sample_rate is None and get_format("flac").bit_depth is None
    assert get_format("mp3-320").bit_rate == 320_000
    assert get_format("aac-256").bit_rate == 256_000


def test_common_formats_are_precomputed_and_the_rest_made_on_request() -> None:
    assert set(PRECOMPUTED_KEYS) == {"flac", "mp3-320", "mp3-v0", "aac-256"}
    assert all(DOWNLOAD_FORMATS[k].precomputed for k in PRECOMPUTED_KEYS)


def test_labels_and_keys_are_unique() -> None:
    labels = [f.label for f in DOWNLOAD_FORMATS.values()]
    assert len(set(labels)) == len(labels)
    assert not set(DOWNLOAD_FORMATS) & set(PREVIEW_FORMATS)


def test_previews() -> None:
    assert preview_format("mp3").container is Container.MP3
    assert preview_format("opus").sample_rate == 48000
    assert preview_format("mp3").bit_rate == 128_000


def test_unknown_key_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="mp3-320"):
        get_format("mp3-999")
    with pytest.raises(KeyError):
        preview_format("vorbis")
