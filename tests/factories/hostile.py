"""A corpus of hostile and valid uploads, made on the spot, each with the problem codes it must produce."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
import soundfile as sf
from PIL import Image

from storefront.audio.synth import Piece, render, write_master


def artwork_image(width: int, height: int, *, mode: str = "RGB", seed: int = 1) -> Image.Image:
    """A smooth synthetic picture: cheap to encode, and different for each seed."""
    y, x = np.mgrid[0:height, 0:width]
    red = x * 255 // max(width - 1, 1)
    green = y * 255 // max(height - 1, 1)
    blue = ((x + y) // 8 + 40 * seed) % 256
    image = Image.fromarray(np.stack([red, green, blue], axis=-1).astype(np.uint8), "RGB")
    return image if mode == "RGB" else image.convert(mode)


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def flac_blocks(data: bytes) -> list[tuple[int, bytes, int]]:
    """(type, body, offset after the block) for each metadata block of a FLAC file."""
    blocks, pos = [], 4
    while True:
        kind, length = data[pos] & 0x7F, int.from_bytes(data[pos + 1 : pos + 4], "big")
        blocks.append((kind, data[pos + 4 : pos + 4 + length], pos + 4 + length))
        pos += 4 + length
        if data[pos - 4 - length] & 0x80:
            return blocks


def rebuild_flac(data: bytes, blocks: list[tuple[int, bytes]]) -> bytes:
    """The same audio frames behind a new set of metadata blocks."""
    out = [b"fLaC"]
    for number, (kind, body) in enumerate(blocks):
        last = 0x80 if number == len(blocks) - 1 else 0
        out.append(bytes([last | kind]) + len(body).to_bytes(3, "big") + body)
    return b"".join(out) + data[flac_blocks(data)[-1][2] :]


def encode_with_pyav(path: Path, codec: str, muxer: str, *, seconds: float = 3.0,
                     sample_fmt: str | None = None) -> bytes:
    """Synthetic music encoded by FFmpeg, so lossy files are made here rather than downloaded."""
    rate = 48000 if codec == "libopus" else 44100
    pcm = render(Piece(seed=13, seconds=seconds, sample_rate=rate))
    options = {"movflags": "faststart"} if muxer == "ipod" else {}  # index first, so a cut file keeps it
    with av.open(str(path), "w", format=muxer, options=options) as container:
        stream = container.add_stream(codec, rate=rate, layout="stereo")
        if sample_fmt:
            stream.codec_context.format = sample_fmt
        size = stream.codec_context.frame_size or 4096
        for start in range(0, len(pcm), size):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm[start : start + size].T), format="fltp",
                                               layout="stereo")
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path.read_bytes()


@dataclass(frozen=True)
class HostileCase:
    name: str
    path: Path  # where the bytes are; the inspector must never look at `filename` to find them
    filename: str  # the name the uploader's browser sends
    target: str  # "master" or "artwork"
    expected: frozenset[str]  # problem codes the report must have, exactly; empty means it must pass
    contains: tuple[str, ...] = ()  # text the problem messages must contain
    overrides: Mapping[str, Any] = field(default_factory=dict)  # limits to change, e.g. a tiny max_bytes


@dataclass(frozen=True)
class _Spec:
    name: str
    filename: str
    target: str
    expected: frozenset[str]
    contains: tuple[str, ...]
    overrides: Mapping[str, Any]
    make: Callable[[Path, _Sources], None]


_SPECS: list[_Spec] = []


def _case(name: str, filename: str, *expected: str, target: str = "master", contains: tuple[str, ...] = (),
          **overrides: Any) -> Callable[[Callable[[Path, _Sources], None]], Callable[[Path, _Sources], None]]:
    def register(make: Callable[[Path, _Sources], None]) -> Callable[[Path, _Sources], None]:
        _SPECS.append(_Spec(name, filename, target, frozenset(expected), contains, overrides, make))
        return make
    return register


class _Sources:
    """Valid files the hostile ones are made from, each written once per corpus."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._made: dict[str, bytes] = {}

    def master(self, ext: str, *, seconds: float = 3.0, rate: int = 44100, bits: int = 16, channels: int = 2,
               seed: int = 7) -> bytes:
        key = f"{ext}-{seconds}-{rate}-{bits}-{channels}-{seed}"
        if key not in self._made:
            path = self.directory / f"source-{key}{ext}"
            write_master(path, seed=seed, seconds=seconds, sample_rate=rate, bit_depth=bits, channels=channels)
            self._made[key] = path.read_bytes()
        return self._made[key]

    def encoded(self, codec: str, muxer: str, **kwargs: Any) -> bytes:
        key = f"{codec}-{muxer}-{'-'.join(f'{k}{v}' for k, v in sorted(kwargs.items()))}"
        if key not in self._made:
            self._made[key] = encode_with_pyav(self.directory / f"source-{key}", codec, muxer, **kwargs)
        return self._made[key]

    def soundfile(self, fmt: str, subtype: str, *, rate: int = 44100, channels: int = 2,
                  seconds: float = 3.0) -> bytes:
        pcm = render(Piece(seed=11, seconds=seconds, sample_rate=rate, channels=channels))
        out = io.BytesIO()
        sf.write(out, pcm, rate, format=fmt, subtype=subtype)
        return out.getvalue()

    def zip_archive(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("readme.txt", "not audio " * 200)
            archive.writestr("payload.bin", os.urandom(4096))
        return out.getvalue()


def _write(data: bytes) -> Callable[[Path, _Sources], None]:
    return lambda path, _src: path.write_bytes(data)


def _flip(data: bytes, offsets: list[int], mask: int = 0x55) -> bytes:
    changed = bytearray(data)
    for offset in offsets:
        changed[offset] ^= mask
    return bytes(changed)


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _flac_frames_start(data: bytes) -> int:
    return flac_blocks(data)[-1][2]


# Valid controls: these must pass, whatever their names.
for _name, _filename, _ext, _kw in (
    ("control_flac_16_44", "Night Drive.flac", ".flac", {}),
    ("control_wav_24_96", "Night Drive (24-96).wav", ".wav", {"bits": 24, "rate": 96000}),
    ("control_aiff_16_48", "mix.aiff", ".aiff", {"rate": 48000}),
    ("control_flac_24_48_mono", "mono.flac", ".flac", {"bits": 24, "rate": 48000, "channels": 1}),
    ("control_wav_32_int", "int32.wav", ".wav", {"bits": 32}),
    ("name_traversal", "../../../etc/passwd.flac", ".flac", {}),
    ("name_windows_traversal", "..\\..\\Windows\\system.ini.wav", ".wav", {}),
    ("name_direction_override", "evil\u202ecalf.flac", ".flac", {}),
    ("name_control_characters", "mix\x00\r\n<b>final</b>.flac", ".flac", {}),
    ("name_very_long", "a" * 5000 + ".flac", ".flac", {}),
    ("name_unicode", "Café – Ωmega 🎵 ﬁnal.flac", ".flac", {}),
):
    _case(_name, _filename)(lambda path, src, e=_ext, kw=_kw: path.write_bytes(src.master(e, **kw)))

_case("control_alac_m4a", "track.m4a")(lambda p, s: p.write_bytes(s.encoded("alac", "ipod", sample_fmt="s16p")))
_case("control_wav_float32", "float.wav")(lambda p, s: p.write_bytes(s.soundfile("WAV", "FLOAT")))
_case("control_rf64", "long-form.wav")(lambda p, s: p.write_bytes(s.soundfile("RF64", "PCM_24")))


# Damaged audio.
@_case("truncated_flac", "cut.flac", "truncated", contains=("ends early at", "of 0:06"))
def _truncated_flac(path: Path, src: _Sources) -> None:
    data = src.master(".flac", seconds=6.0)
    path.write_bytes(data[: len(data) // 2])


@_case("truncated_wav", "cut.wav", "truncated", contains=("ends early at 0:02 of 0:06",))
def _truncated_wav(path: Path, src: _Sources) -> None:
    data = src.master(".wav", seconds=6.0)
    path.write_bytes(data[: 44 + int(2.5 * 44100) * 4])


@_case("truncated_aiff", "cut.aiff", "truncated", contains=("of 0:06",))
def _truncated_aiff(path: Path, src: _Sources) -> None:
    data = src.master(".aiff", seconds=6.0)
    path.write_bytes(data[: len(data) * 2 // 3])


@_case("truncated_m4a", "cut.m4a", "truncated", contains=("ends early at",))
def _truncated_m4a(path: Path, src: _Sources) -> None:
    data = src.encoded("alac", "ipod", sample_fmt="s16p", seconds=6.0)
    path.write_bytes(data[: len(data) // 2])


@_case("crc_flac_bytes", "damaged.flac", "crc_error", contains=("is damaged around",))
def _crc_bytes(path: Path, src: _Sources) -> None:
    data = src.master(".flac")
    path.write_bytes(_flip(data, list(range(len(data) // 2, len(data) // 2 + 1500, 97))))


@_case("crc_flac_one_bit", "one-bit.flac", "crc_error")
def _crc_bit(path: Path, src: _Sources) -> None:
    data = src.master(".flac")
    path.write_bytes(_flip(data, [len(data) * 2 // 3], 0x04))


@_case("crc_flac_without_md5", "no-md5.flac", "crc_error")
def _crc_no_md5(path: Path, src: _Sources) -> None:
    blocks = flac_blocks(src.master(".flac"))
    streaminfo = blocks[0][1][:18] + bytes(16)  # an encoder that never filled in the checksum
    data = rebuild_flac(src.master(".flac"), [(0, streaminfo)] + [(t, b) for t, b, _ in blocks[1:]])
    path.write_bytes(_flip(data, [len(data) // 2], 0x10))


@_case("wav_lying_length", "lies.wav", "truncated", contains=("ends early at 0:01",))
def _wav_lying(path: Path, src: _Sources) -> None:
    data = bytearray(src.master(".wav", seconds=1.5))
    struct.pack_into("<I", data, 40, 0x7FFFFFF0)
    path.write_bytes(bytes(data))


_case("wav_broken_fmt", "broken.wav", "corrupt")(_write(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00"))


@_case("flac_lying_metadata", "lies.flac", "corrupt")
def _flac_lying(path: Path, src: _Sources) -> None:
    data = src.master(".flac")
    path.write_bytes(data[:42] + bytes([0x84, 0xFF, 0xFF, 0xF0]) + b"\x00" * 64)


@_case("wrong_magic", "magic.flac", "not_audio")
def _wrong_magic(path: Path, src: _Sources) -> None:
    path.write_bytes(b"fLaX" + src.master(".flac")[4:])


# Lossy audio, under any name or inside a lossless container.
for _name, _filename, _codec, _muxer, _text in (
    ("mp3_as_flac", "master.flac", "libmp3lame", "mp3", "an MP3 file renamed to .flac"),
    ("mp3_as_wav", "master.wav", "libmp3lame", "mp3", "an MP3 file renamed to .wav"),
    ("mp3_named_mp3", "master.mp3", "libmp3lame", "mp3", "is an MP3 file."),
    ("mp3_script_name", "<script>alert(1)</script>.flac", "libmp3lame", "mp3", "<script>alert(1)</script>.flac"),
    ("aac_as_aiff", "master.aiff", "aac", "adts", "an AAC file renamed to .aiff"),
    ("aac_in_m4a", "master.m4a", "aac", "ipod", "holds AAC audio"),
    ("opus_as_flac", "master.flac", "libopus", "ogg", "an Opus file renamed to .flac"),
    ("mp2_in_wav", "master.wav", "mp2", "wav", "holds MP2 audio"),
):
    _case(_name, _filename, "lossy_codec", contains=(_text,))(
        lambda path, src, c=_codec, m=_muxer: path.write_bytes(src.encoded(c, m)))

_case("mp3_in_wav", "master.wav", "lossy_codec", contains=("WAV file that holds MP3 audio",))(
    lambda p, s: p.write_bytes(s.soundfile("WAV", "MPEG_LAYER_III")))
_case("vorbis_as_wav", "master.wav", "lossy_codec", contains=("Ogg Vorbis",))(
    lambda p, s: p.write_bytes(s.soundfile("OGG", "VORBIS")))
_case("adpcm_wav", "master.wav", "lossy_codec")(lambda p, s: p.write_bytes(s.soundfile("WAV", "IMA_ADPCM")))
_case("ulaw_aiff", "master.aiff", "lossy_codec")(lambda p, s: p.write_bytes(s.soundfile("AIFF", "ULAW")))
_case("wavpack", "master.wv", "unsupported_format", contains=("WavPack",))(
    lambda p, s: p.write_bytes(s.encoded("wavpack", "wv")))
_case("flac_in_ogg", "master.ogg", "unsupported_format")(lambda p, s: p.write_bytes(s.soundfile("OGG", "FLAC")))
_case("caf_pcm", "master.caf", "unsupported_format")(lambda p, s: p.write_bytes(s.soundfile("CAF", "PCM_16")))


# Polyglots and smuggled files.
@_case("flac_header_then_zip", "album.flac", "hidden_file", contains=("ZIP archive",))
def _flac_zip(path: Path, src: _Sources) -> None:
    data = src.master(".flac")
    path.write_bytes(data[: _flac_frames_start(data)] + src.zip_archive())


_case("flac_with_zip_appended", "album.flac", "hidden_file", contains=("ZIP archive",))(
    lambda p, s: p.write_bytes(s.master(".flac") + s.zip_archive()))


@_case("wav_data_is_png", "image.wav", "hidden_file", contains=("PNG image",))
def _wav_png(path: Path, src: _Sources) -> None:
    image = png_bytes(artwork_image(64, 64))
    fmt = struct.pack("<HHIIHH", 1, 2, 44100, 44100 * 4, 4, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(image)) + image
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body + (b"\x00" if len(image) & 1 else b""))


_case("wav_trailing_junk", "junk.wav", "trailing_data")(
    lambda p, s: p.write_bytes(s.master(".wav") + os.urandom(100_000)))


@_case("flac_huge_pictures", "art.flac", "tags_too_large", contains=("embedded pictures",))
def _flac_pictures(path: Path, src: _Sources) -> None:
    data = src.master(".flac")
    picture = struct.pack(">II", 3, 10) + b"image/jpeg" + struct.pack(">I", 0) + struct.pack(">IIIII", 1, 1, 24, 0, 0)
    block = picture + b"\x00" * (10_000_000 - len(picture))  # two of these: 20 MB in blocks of at most 16 MB
    path.write_bytes(rebuild_flac(data, [(t, b) for t, b, _ in flac_blocks(data)] + [(6, block), (6, block)]))


@_case("flac_huge_comment", "notes.flac", "tags_too_large", contains=("tags and notes",))
def _flac_comment(path: Path, src: _Sources) -> None:
    data = src.master(".flac")
    vendor, comment = b"hostile", b"COMMENT=" + b"x" * 5_000_000
    block = struct.pack("<I", len(vendor)) + vendor + struct.pack("<II", 1, len(comment)) + comment
    path.write_bytes(rebuild_flac(data, [(t, b) for t, b, _ in flac_blocks(data)] + [(4, block)]))


# Not audio at all.
_case("zip_as_flac", "master.flac", "not_audio", contains=("ZIP archive",))(lambda p, s: p.write_bytes(s.zip_archive()))
_case("text_as_flac", "master.flac", "not_audio", contains=("text file",))(
    _write("These are my liner notes.\nThank you for listening.\n".encode() * 20))
_case("html_as_flac", "master.flac", "not_audio", contains=("web page",))(
    _write(b"<!DOCTYPE html><html><head><title>Download</title></head><body>404</body></html>"))
_case("png_as_wav", "master.wav", "not_audio", contains=("PNG image",))(
    lambda p, s: p.write_bytes(png_bytes(artwork_image(32, 32))))
_case("jpeg_as_aiff", "master.aiff", "not_audio", contains=("JPEG image",))(
    lambda p, s: p.write_bytes(jpeg_bytes(artwork_image(32, 32))))
_case("program_as_wav", "master.wav", "not_audio", contains=("a program",))(_write(b"MZ\x90\x00" + bytes(400)))
_case("empty", "master.flac", "empty")(_write(b""))
_case("random_bytes", "master.flac", "not_audio")(lambda p, s: p.write_bytes(np.random.default_rng(5).bytes(20_000)))


# Within the formats we take, outside the limits.
@_case("wav_header_only", "empty.wav", "no_audio")
def _wav_header_only(path: Path, src: _Sources) -> None:
    data = bytearray(src.master(".wav")[:44])
    struct.pack_into("<I", data, 4, 36)
    struct.pack_into("<I", data, 40, 0)
    path.write_bytes(bytes(data))


@_case("sparse_over_2gb", "huge.wav", "too_large", contains=("2 GB",))
def _sparse(path: Path, src: _Sources) -> None:
    path.write_bytes(src.master(".wav")[:44])
    os.truncate(path, 2_000_000_001)  # sparse: costs no disk


_case("oversize_by_limit", "big.flac", "too_large", max_bytes=10_000)(lambda p, s: p.write_bytes(s.master(".flac")))
_case("wav_8khz", "phone.wav", "sample_rate", contains=("8 kHz",))(
    lambda p, s: p.write_bytes(s.soundfile("WAV", "PCM_16", rate=8000)))
_case("aiff_22khz", "low.aiff", "sample_rate", contains=("22.05 kHz",))(
    lambda p, s: p.write_bytes(s.soundfile("AIFF", "PCM_16", rate=22050)))
_case("wav_8bit", "8bit.wav", "bit_depth", contains=("8-bit",))(lambda p, s: p.write_bytes(s.soundfile("WAV", "PCM_U8")))
_case("wav_float64", "double.wav", "bit_depth", contains=("64-bit floating-point",))(
    lambda p, s: p.write_bytes(s.soundfile("WAV", "DOUBLE")))
_case("wav_six_channels", "surround.wav", "channels", contains=("6 channels",))(
    lambda p, s: p.write_bytes(s.soundfile("WAV", "PCM_16", channels=6)))
_case("flac_half_second", "blip.flac", "too_short", contains=("0.5 seconds",))(
    lambda p, s: p.write_bytes(s.master(".flac", seconds=0.5)))
_case("too_long_by_limit", "long.flac", "too_long", max_seconds=2.0)(lambda p, s: p.write_bytes(s.master(".flac")))
_case("timeout_by_limit", "slow.flac", "decode_timeout", max_decode_seconds=0.0)(
    lambda p, s: p.write_bytes(s.master(".flac")))
_case("flac_named_wav", "master.wav", "extension_mismatch", contains=("is a FLAC file, but its name ends in .wav",))(
    lambda p, s: p.write_bytes(s.master(".flac")))


@_case("silence", "silence.flac", "silence_only")
def _silence(path: Path, src: _Sources) -> None:
    sf.write(path, np.zeros((44100 * 2, 2), dtype=np.int16), 44100, format="FLAC", subtype="PCM_16")


# Artwork.
def _image(width: int, height: int, fmt: str, **save: Any) -> Callable[[Path, _Sources], None]:
    def make(path: Path, _src: _Sources) -> None:
        artwork_image(width, height, mode="CMYK" if fmt == "CMYK" else "RGB").save(
            path, format="JPEG" if fmt == "CMYK" else fmt, **save)
    return make


def _art(name: str, filename: str, *expected: str, contains: tuple[str, ...] = (), **overrides: Any) -> Callable[
        [Callable[[Path, _Sources], None]], Callable[[Path, _Sources], None]]:
    return _case(name, filename, *expected, target="artwork", contains=contains, **overrides)


_art("art_control_jpeg", "cover.jpg")(_image(1500, 1500, "JPEG", quality=90))
_art("art_control_png_named_jpg", "cover.jpg")(_image(1400, 1400, "PNG"))
_art("art_control_cmyk", "print.jpg")(_image(3200, 3200, "CMYK"))
_art("art_control_near_square", "cover.jpg")(_image(2000, 1990, "JPEG"))
_art("art_small", "cover.jpg", "too_small", contains=("800 × 800",))(_image(800, 800, "JPEG"))
_art("art_not_square", "cover.jpg", "not_square", contains=("2000 × 1500",))(_image(2000, 1500, "JPEG"))
_art("art_gif", "cover.gif", "unsupported_image", contains=("GIF",))(_image(1500, 1500, "GIF"))
_art("art_webp", "cover.webp", "unsupported_image", contains=("WebP",))(_image(1500, 1500, "WEBP"))
_art("art_text", "cover.jpg", "not_image")(_write(b"just some text, not a picture\n" * 10))
_art("art_flac", "cover.png", "not_image", contains=("FLAC",))(lambda p, s: p.write_bytes(s.master(".flac")))
_art("art_empty", "cover.png", "empty")(_write(b""))
_art("art_oversize_by_limit", "cover.jpg", "too_large", max_bytes=50_000)(_image(1500, 1500, "JPEG"))
_art("art_svg", "cover.svg", "unsupported_image")(_write(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'))


@_art("art_control_alpha_icc_exif", "cover.png")
def _alpha_icc(path: Path, src: _Sources) -> None:
    from PIL import ImageCms
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = artwork_image(1400, 1400).convert("RGBA")
    exif = Image.Exif()
    exif[0x010F] = "Camera maker that should not leak"
    image.save(path, format="PNG", icc_profile=icc, exif=exif.tobytes())


@_art("art_pixel_flood_png", "flood.png", "too_many_pixels", contains=("50000 × 50000",))
def _flood_png(path: Path, src: _Sources) -> None:
    ihdr = struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0)
    body = png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + png_chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)


@_art("art_pixel_flood_jpeg", "flood.jpg", "too_many_pixels", contains=("60000 × 60000",))
def _flood_jpeg(path: Path, src: _Sources) -> None:
    data = bytearray(jpeg_bytes(artwork_image(16, 16)))
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, 60000, 60000)
    path.write_bytes(bytes(data))


_art("art_jpeg_plus_zip", "cover.jpg", "hidden_file", contains=("ZIP archive",))(
    lambda p, s: p.write_bytes(jpeg_bytes(artwork_image(1500, 1500)) + s.zip_archive()))
_art("art_truncated_jpeg", "cover.jpg", "corrupt")(lambda p, s: p.write_bytes(_half(jpeg_bytes(artwork_image(1500, 1500)))))
_art("art_truncated_png", "cover.png", "corrupt")(lambda p, s: p.write_bytes(_half(png_bytes(artwork_image(1500, 1500)))))


@_art("art_png_bad_crc", "cover.png", "corrupt")
def _png_crc(path: Path, src: _Sources) -> None:
    data = bytearray(png_bytes(artwork_image(1400, 1400)))
    idat = data.index(b"IDAT")
    data[idat + 100] ^= 0xFF
    path.write_bytes(bytes(data))


@_art("art_animated_png", "cover.png", "animated")
def _apng(path: Path, src: _Sources) -> None:
    frames = [artwork_image(1400, 1400, seed=n) for n in range(2)]
    frames[0].save(path, format="PNG", save_all=True, append_images=frames[1:], duration=100)


def build_corpus(directory: str | os.PathLike[str]) -> list[HostileCase]:
    """Write every case into `directory` (under neutral names) and return them in a fixed order."""
    root = Path(directory)
    (root / "sources").mkdir(parents=True, exist_ok=True)
    sources = _Sources(root / "sources")
    cases = []
    for number, spec in enumerate(_SPECS):
        path = root / f"{number:03d}-{spec.name}.upload"
        spec.make(path, sources)
        cases.append(HostileCase(spec.name, path, spec.filename, spec.target, spec.expected, spec.contains,
                                 spec.overrides))
    return cases


def case_names(target: str) -> list[str]:
    """Names of the cases for one target, known before any file is written (for test parametrisation)."""
    return [spec.name for spec in _SPECS if spec.target == target]

