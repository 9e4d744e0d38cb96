"""Re-encoding an accepted cover as clean, metadata-free sRGB JPEGs, square, at the sizes we serve."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageCms

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class NormalisedArtwork:
    """What we store and serve: sRGB JPEGs with no metadata, square."""

    master: bytes
    side: int
    derivatives: dict[int, bytes]  # square side in pixels -> JPEG bytes
    sha256: str  # of `master`

    def files(self, stem: str = "cover") -> dict[str, bytes]:
        """Names a storage layer can use as they are: cover.jpg, cover-1200.jpg, ..."""
        named = {f"{stem}.jpg": self.master}
        named.update({f"{stem}-{side}.jpg": data for side, data in self.derivatives.items()})
        return named


def _resizable(image: Image.Image) -> Image.Image:
    """The picture in a mode Pillow resizes smoothly (L, RGB, RGBA or CMYK), keeping its colour profile."""
    info = image.info
    if image.mode in ("P", "PA", "LA", "La", "RGBa", "1") or "transparency" in info:
        image = image.convert("RGBA")
    elif image.mode.startswith("I") or image.mode == "F":
        image = image.point(lambda v: v / 256).convert("L")  # 16-bit grey: scale, don't clip
    elif image.mode not in ("L", "RGB", "RGBA", "CMYK"):
        image = image.convert("RGB")
    image.info = info
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB in sRGB, on white where the picture was transparent."""
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    icc = image.info.get("icc_profile")
    if icc:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, profile, _SRGB, outputMode="RGB")
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: assume the common case, sRGB already
    return image.convert("RGB")


class EncodingFailed(Exception):
    """Our JPEG encoder could not write the picture: a fault in processing, not in storage."""


def _jpeg(image: Image.Image, quality: int, subsampling: int) -> bytes:
    # Baseline with optimised Huffman tables: progressive saves little at these sizes and takes 4x as long.
    # Optimising holds the whole output in one buffer Pillow sizes at a byte per pixel, too small for grain
    # at full colour resolution ("Suspension not allowed here"); without it the encoder streams.
    for optimize in (True, False):
        out = io.BytesIO()
        try:
            image.save(out, format="JPEG", quality=quality, subsampling=subsampling, optimize=optimize)
            return out.getvalue()
        except (OSError, ValueError) as exc:
            failure = exc
    raise EncodingFailed(str(failure)) from failure


def make_derivatives(master: Image.Image, sizes: tuple[int, ...], quality: int = 85) -> dict[int, bytes]:
    """Smaller square JPEGs from the master picture; sizes larger than the master are left out."""
    side = min(master.size)
    return {
        size: _jpeg(master.resize((size, size), Image.Resampling.LANCZOS), quality, 2)
        for size in sizes
        if size <= side
    }


def encode_cover(
    image: Image.Image,
    *,
    master_side: int,
    master_quality: int,
    derivative_sizes: tuple[int, ...],
    derivative_quality: int,
) -> NormalisedArtwork:
    """The picture cropped to its centre square, at most `master_side`, and the smaller sizes."""
    image = _resizable(image)
    w, h = image.size
    side = min(w, h)
    box = ((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side)
    target = min(side, master_side)
    # Crop and shrink before converting colours, so the colour transform runs on at most master_side².
    square = image.resize((target, target), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    square.info = image.info
    rgb = _to_srgb(square)
    master = _jpeg(rgb, master_quality, 0)
    derivatives = make_derivatives(rgb, derivative_sizes, derivative_quality)
    return NormalisedArtwork(
        master=master, side=target, derivatives=derivatives, sha256=hashlib.sha256(master).hexdigest()
    )
