"""Unit tests for cover artwork: the checks, and the clean JPEGs made from an accepted cover."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from storefront.audio.problems import Problem
from storefront.releases.artwork import ArtworkLimits, inspect_artwork, normalise_artwork
from storefront.releases.cover_jpeg import make_derivatives
from tests.factories.hostile import artwork_image, jpeg_bytes, png_bytes, png_chunk


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_accepted_cover_becomes_clean_square_jpegs(tmp_path: Path) -> None:
    path = tmp_path / "upload"
    exif = Image.Exif()
    exif[0x010F] = "Maker"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS: exactly what must not leak
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    artwork_image(1600, 1600).save(path, format="JPEG", quality=95, exif=exif.tobytes(), icc_profile=icc)
    result = normalise_artwork(path, filename="cover.jpg")
    assert result.report.ok, result.report.problems
    assert (result.report.format, result.report.width, result.report.height) == ("JPEG", 1600, 1600)
    assert result.report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    art = result.artwork
    assert art is not None
    master = _open(art.master)
    assert (master.format, master.mode, master.size, art.side) == ("JPEG", "RGB", (1600, 1600), 1600)
    for key in ("exif", "icc_profile", "xmp", "photoshop", "comment"):
        assert key not in master.info
    assert not master.getexif()
    assert art.sha256 == hashlib.sha256(art.master).hexdigest()
    assert sorted(art.derivatives) == [100, 350, 700, 1200]
    for side, data in art.derivatives.items():
        small = _open(data)
        assert (small.format, small.size) == ("JPEG", (side, side))
        assert "exif" not in small.info and "icc_profile" not in small.info
    names = ["cover-100.jpg", "cover-1200.jpg", "cover-350.jpg", "cover-700.jpg", "cover.jpg"]
    assert sorted(art.files()) == names


def test_big_cover_is_capped_and_near_square_is_cropped(tmp_path: Path) -> None:
    path = tmp_path / "upload"
    artwork_image(3100, 3090).save(path, format="PNG")
    art = normalise_artwork(path, filename="big.png").artwork
    assert art is not None
    assert _open(art.master).size == (3000, 3000)


def test_streams_work_like_paths() -> None:
    data = jpeg_bytes(artwork_image(1400, 1400))
    report = inspect_artwork(io.BytesIO(data), filename="cover.jpg")
    assert report.ok and report.size == len(data)


def test_exif_orientation_is_applied_before_it_is_dropped(tmp_path: Path) -> None:
    pixels = np.zeros((1400, 1400, 3), dtype=np.uint8)
    pixels[:, :700] = (255, 0, 0)  # left half red
    pixels[:, 700:] = (0, 0, 255)  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = tmp_path / "upload"
    Image.fromarray(pixels).save(path, format="JPEG", quality=95, exif=exif.tobytes())
    art = normalise_artwork(path, filename="phone.jpg").artwork
    assert art is not None
    shown = np.asarray(_open(art.master)).astype(int)
    assert shown[100, 700, 0] > 200 > shown[100, 700, 2]  # top: the former left side, red
    assert shown[1300, 700, 2] > 200 > shown[1300, 700, 0]  # bottom: blue


def test_transparency_is_flattened_on_white_and_cmyk_becomes_rgb(tmp_path: Path) -> None:
    clear = Image.new("RGBA", (1400, 1400), (0, 0, 0, 0))
    art = normalise_artwork(io.BytesIO(png_bytes(clear)), filename="clear.png").artwork
    assert art is not None
    assert min(_open(art.master).getpixel((700, 700))) > 250  # type: ignore[arg-type]
    cmyk = Image.new("CMYK", (1400, 1400), (0, 0, 0, 0))  # no ink: white paper
    buffer = io.BytesIO()
    cmyk.save(buffer, format="JPEG")
    art = normalise_artwork(io.BytesIO(buffer.getvalue()), filename="print.jpg").artwork
    assert art is not None
    master = _open(art.master)
    assert master.mode == "RGB" and min(master.getpixel((700, 700))) > 245  # type: ignore[arg-type]


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    grey = Image.fromarray(np.full((1400, 1400), 32768, dtype=np.uint16))
    art = normalise_artwork(io.BytesIO(png_bytes(grey)), filename="grey.png").artwork
    assert art is not None
    assert 120 < _open(art.master).getpixel((700, 700))[0] < 136  # type: ignore[index]


def _flood_png(width: int, height: int) -> bytes:
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    idat = png_chunk(b"IDAT", zlib.compress(bytes(256)))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + png_chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [10_000, 50_000])
def test_pillow_bomb_guard_becomes_a_problem_not_a_warning(side: int) -> None:
    # With our own header limits lifted, Pillow's guard is the last line: it must refuse, not warn.
    lifted = ArtworkLimits(max_side=100_000, max_pixels=10**12)
    report = inspect_artwork(io.BytesIO(_flood_png(side, side)), filename="flood.png", limits=lifted)
    assert report.codes == ["too_many_pixels"]
    assert "too many pixels" in report.problems[0].message


def test_pixel_limits_are_read_from_the_header_before_decoding() -> None:
    # 12000 x 12000 is under Pillow's own guard; decoding it would allocate 432 MB and then fail as corrupt.
    report = inspect_artwork(io.BytesIO(_flood_png(12_000, 12_000)), filename="flood.png")
    assert report.codes == ["too_many_pixels"]
    assert report.problems[0].message == ("“flood.png” is 12000 x 12000 pixels; the largest we accept is "
                                          "10000 pixels on a side and 64 million pixels in all.")


def test_mpo_style_extra_jpeg_after_the_image_is_allowed() -> None:
    data = jpeg_bytes(artwork_image(1400, 1400)) + jpeg_bytes(artwork_image(64, 64))
    assert inspect_artwork(io.BytesIO(data), filename="phone.jpg").ok


def test_make_derivatives_skips_sizes_above_the_master() -> None:
    made = make_derivatives(artwork_image(800, 800), (1200, 700, 100))
    assert sorted(made) == [100, 700]


def test_problems_share_the_audio_problem_type() -> None:
    report = inspect_artwork(io.BytesIO(b""), filename="../x/cover.png")
    assert report.filename == "cover.png"
    assert isinstance(report.problems[0], Problem)
    assert report.problems[0].code == "empty"


def test_a_grainy_cover_is_processed_not_refused() -> None:
    from tests.factories.releases import grainy_cover_bytes

    result = normalise_artwork(io.BytesIO(grainy_cover_bytes()), filename="grain.jpg")
    assert result.report.ok, result.report.problems
    assert result.artwork is not None
    assert _open(result.artwork.master).size == (3000, 3000)
    assert sorted(result.artwork.derivatives) == [100, 350, 700, 1200]


def test_an_encoder_failure_is_reported_as_ours(tmp_path: Path) -> None:
    from storefront.releases.cover_jpeg import EncodingFailed, _jpeg

    with pytest.raises(EncodingFailed):
        _jpeg(Image.new("RGBA", (8, 8)), 90, 0)  # JPEG has no alpha channel: the encoder refuses
