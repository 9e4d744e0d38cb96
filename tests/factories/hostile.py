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
from PIL import Image, ImageCms

from storefront.audio.synth import Piece, render, write_master


def artwork_image(width: int, height: int, *, mode: str = "RGB", seed: int = 1) -> Image.Image:
    """A smooth synthetic picture: cheap to encode, and different for each seed."""
    x, y = np.arange(width), np.arange(height)
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    pixels[..., 0] = (x * 255 // max(width - 1, 1)).astype(np.uint8)[None, :]
    pixels[..., 1] = (y * 255 // max(height - 1, 1)).astype(np.uint8)[:, None]
    pixels[..., 2] = np.add.outer((y // 8 + 40 * seed).astype(np.uint8), (x // 8).astype(np.uint8))
    image = Image.fromarray(pixels, "RGB")
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
        stream: Any = container.add_stream(codec, rate=rate, layout="stereo")
        if sample_fmt:
            stream.codec_context.format = sample_fmt
        size = stream.codec_context.frame_size or 4096
        for start in range(0, len(pcm), size):
            block = np.ascontiguousarray(pcm[start : start + size].T)
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
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


class Sources:
    """Valid files the hostile ones are made from, each made once per corpus."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._made: dict[str, bytes] = {}
        self._pcm: dict[str, np.ndarray] = {}

    def master(self, ext: str, *, seconds: float = 3.0, rate: int = 44100, bits: int = 16,
               channels: int = 2) -> bytes:
        key = f"{seconds}-{rate}-{bits}-{channels}{ext}"
        if key not in self._made:
            path = self.directory / f"source-{key}"
            write_master(path, seed=7, seconds=seconds, sample_rate=rate, bit_depth=bits, channels=channels)
            self._made[key] = path.read_bytes()
        return self._made[key]

    def encoded(self, codec: str, muxer: str, **kwargs: Any) -> bytes:
        key = f"{codec}-{muxer}-{'-'.join(f'{k}{v}' for k, v in sorted(kwargs.items()))}"
        if key not in self._made:
            self._made[key] = encode_with_pyav(self.directory / f"source-{key}", codec, muxer, **kwargs)
        return self._made[key]

    def sndfile(self, fmt: str, subtype: str, *, rate: int = 44100, channels: int = 2) -> bytes:
        key = f"pcm-{rate}-{channels}"
        if key not in self._pcm:
            self._pcm[key] = render(Piece(seed=11, seconds=3.0, sample_rate=rate, channels=channels))
        out = io.BytesIO()
        sf.write(out, self._pcm[key], rate, format=fmt, subtype=subtype)
        return out.getvalue()

    def zip_archive(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("readme.txt", "not audio " * 200)
            archive.writestr("payload.bin", bytes(range(256)) * 16)
        return out.getvalue()


Maker = Callable[[Sources, Path], bytes | None]  # returns the bytes to write, or writes the path itself


def _flip(data: bytes, offsets: list[int] | range, mask: int = 0x55) -> bytes:
    changed = bytearray(data)
    for offset in offsets:
        changed[offset] ^= mask
    return bytes(changed)


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _crc_bytes(s: Sources, _p: Path) -> bytes:
    data = s.master(".flac")
    return _flip(data, range(len(data) // 2, len(data) // 2 + 1500, 97))


def _flac_no_md5(s: Sources, _p: Path) -> bytes:
    data = s.master(".flac")
    blocks = [(t, b) for t, b, _ in flac_blocks(data)]
    blocks[0] = (0, blocks[0][1][:18] + bytes(16))  # an encoder that never filled in the checksum
    rebuilt = rebuild_flac(data, blocks)
    return _flip(rebuilt, [len(rebuilt) // 2], 0x10)


def _wav_lying(s: Sources, _p: Path) -> bytes:
    data = bytearray(s.master(".wav", seconds=1.5))
    struct.pack_into("<I", data, 40, 0x7FFFFFF0)
    return bytes(data)


def _wav_header_only(s: Sources, _p: Path) -> bytes:
    data = bytearray(s.master(".wav")[:44])
    struct.pack_into("<I", data, 4, 36)  # the RIFF holds the format and an empty data chunk
    struct.pack_into("<I", data, 40, 0)
    return bytes(data)


def _wav_png(s: Sources, _p: Path) -> bytes:
    image = png_bytes(artwork_image(64, 64))
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 2, 44100, 44100 * 4, 4, 16)
    body = b"WAVE" + fmt + b"data" + struct.pack("<I", len(image)) + image + b"\x00" * (len(image) & 1)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _flac_pictures(s: Sources, _p: Path) -> bytes:
    data = s.master(".flac")
    head = struct.pack(">II", 3, 10) + b"image/jpeg" + struct.pack(">IIIIII", 0, 1, 1, 24, 0, 0)
    block = head + bytes(10_000_000 - len(head))  # two of these: 20 MB, as a block holds at most 16 MB
    return rebuild_flac(data, [(t, b) for t, b, _ in flac_blocks(data)] + [(6, block), (6, block)])


def _flac_comment(s: Sources, _p: Path) -> bytes:
    data = s.master(".flac")
    comment = b"COMMENT=" + b"x" * 5_000_000
    block = struct.pack("<I", 7) + b"hostile" + struct.pack("<II", 1, len(comment)) + comment
    return rebuild_flac(data, [(t, b) for t, b, _ in flac_blocks(data)] + [(4, block)])


def _sparse(s: Sources, path: Path) -> None:
    path.write_bytes(s.master(".wav")[:44])
    os.truncate(path, 2_000_000_001)  # sparse: costs no disk space


def _silence(_s: Sources, path: Path) -> None:
    sf.write(path, np.zeros((44100 * 2, 2), dtype=np.int16), 44100, format="FLAC", subtype="PCM_16")


def _image(width: int, height: int, fmt: str, mode: str = "RGB", **save: Any) -> Maker:
    def make(_s: Sources, path: Path) -> None:
        artwork_image(width, height, mode=mode).save(path, format=fmt, **save)
    return make


def _alpha_icc_exif(_s: Sources, path: Path) -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "A camera maker that must not leak"
    artwork_image(1400, 1400).convert("RGBA").save(path, format="PNG", icc_profile=icc, exif=exif.tobytes())


def _flood_png(_s: Sources, _p: Path) -> bytes:
    ihdr = struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0)
    idat = png_chunk(b"IDAT", zlib.compress(bytes(4096)))  # a few bytes standing in for 7.5 GB of pixels
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + idat + png_chunk(b"IEND", b"")


def _flood_jpeg(_s: Sources, _p: Path) -> bytes:
    data = bytearray(jpeg_bytes(artwork_image(16, 16)))
    struct.pack_into(">HH", data, data.index(b"\xff\xc0") + 5, 60000, 60000)
    return bytes(data)


def _png_bad_crc(_s: Sources, _p: Path) -> bytes:
    data = png_bytes(artwork_image(400, 400))
    return _flip(data, [data.index(b"IDAT") + 100], 0xFF)


def _apng(_s: Sources, path: Path) -> None:
    frames = [artwork_image(200, 200, seed=n) for n in range(2)]
    frames[0].save(path, format="PNG", save_all=True, append_images=frames[1:], duration=100)


_FLAC = ".flac"
_TXT = b"These are my liner notes.\nThank you for listening.\n" * 20
_HTML = b"<!DOCTYPE html><html><head><title>Download</title></head><body>404</body></html>"
_SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'
_M = "master"

# (name, filename the uploader sends, target, expected codes, text the messages must contain, limits, maker)
_CASES: list[tuple[str, str, str, tuple[str, ...], tuple[str, ...], dict[str, Any], Maker]] = [
    # Valid masters, some under hostile names: these must pass.
    ("control_flac_16_44", "Night Drive.flac", _M, (), (), {}, lambda s, p: s.master(_FLAC)),
    ("control_wav_24_96", "Night Drive.wav", _M, (), (), {},
     lambda s, p: s.master(".wav", bits=24, rate=96000)),
    ("control_aiff_16_48", "mix.aiff", _M, (), (), {}, lambda s, p: s.master(".aiff", rate=48000)),
    ("control_alac_m4a", "track.m4a", _M, (), (), {},
     lambda s, p: s.encoded("alac", "ipod", sample_fmt="s16p")),
    ("control_flac_24_mono", "mono.flac", _M, (), (), {},
     lambda s, p: s.master(_FLAC, bits=24, rate=48000, channels=1)),
    ("control_wav_32_int", "int32.wav", _M, (), (), {}, lambda s, p: s.master(".wav", bits=32)),
    ("control_wav_float32", "float.wav", _M, (), (), {}, lambda s, p: s.sndfile("WAV", "FLOAT")),
    ("control_rf64", "long-form.wav", _M, (), (), {}, lambda s, p: s.sndfile("RF64", "PCM_24")),
    ("name_traversal", "../../../etc/passwd.flac", _M, (), (), {}, lambda s, p: s.master(_FLAC)),
    ("name_windows_traversal", "..\\..\\Windows\\system.ini.wav", _M, (), (), {},
     lambda s, p: s.master(".wav")),
    ("name_direction_override", "evil\u202ecalf.flac", _M, (), (), {}, lambda s, p: s.master(_FLAC)),
    ("name_control_characters", "mix\x00\r\n<b>final</b>.flac", _M, (), (), {}, lambda s, p: s.master(_FLAC)),
    ("name_very_long", "a" * 5000 + ".flac", _M, (), (), {}, lambda s, p: s.master(_FLAC)),
    ("name_unicode", "Café – Ωmega 🎵 ﬁnal.flac", _M, (), (), {}, lambda s, p: s.master(_FLAC)),
    # Damaged audio.
    ("truncated_flac", "cut.flac", _M, ("truncated",), ("ends early at", "of 0:06"), {},
     lambda s, p: _half(s.master(_FLAC, seconds=6.0))),
    ("truncated_wav", "cut.wav", _M, ("truncated",), ("ends early at 0:02 of 0:06",), {},
     lambda s, p: s.master(".wav", seconds=6.0)[: 44 + int(2.5 * 44100) * 4]),
    ("truncated_aiff", "cut.aiff", _M, ("truncated",), ("of 0:06",), {},
     lambda s, p: _half(s.master(".aiff", seconds=6.0))),
    ("truncated_m4a", "cut.m4a", _M, ("truncated",), ("ends early at 0:0",), {},
     lambda s, p: _half(s.encoded("alac", "ipod", sample_fmt="s16p", seconds=6.0))),
    ("crc_flac_bytes", "damaged.flac", _M, ("crc_error",), ("is damaged around 0:0",), {},
     _crc_bytes),
    ("crc_flac_one_bit", "one-bit.flac", _M, ("crc_error",), (), {},
     lambda s, p: _flip(s.master(_FLAC), [len(s.master(_FLAC)) * 2 // 3], 0x04)),
    ("crc_flac_without_md5", "no-md5.flac", _M, ("crc_error",), (), {}, _flac_no_md5),
    ("wav_lying_length", "lies.wav", _M, ("truncated",), ("ends early at 0:01",), {}, _wav_lying),
    ("wav_broken_fmt", "broken.wav", _M, ("corrupt",), (), {},
     lambda s, p: b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00"),
    ("flac_lying_metadata", "lies.flac", _M, ("corrupt",), (), {},
     lambda s, p: s.master(_FLAC)[:42] + bytes([0x84, 0xFF, 0xFF, 0xF0]) + bytes(64)),
    ("wrong_magic", "magic.flac", _M, ("not_audio",), (), {}, lambda s, p: b"fLaX" + s.master(_FLAC)[4:]),
    # Lossy audio under any name, or inside a lossless container.
    ("mp3_as_flac", "master.flac", _M, ("lossy_codec",), ("an MP3 file renamed to .flac",), {},
     lambda s, p: s.encoded("libmp3lame", "mp3")),
    ("mp3_as_wav", "master.wav", _M, ("lossy_codec",), ("an MP3 file renamed to .wav",), {},
     lambda s, p: s.encoded("libmp3lame", "mp3")),
    ("mp3_named_mp3", "master.mp3", _M, ("lossy_codec",), ("is an MP3 file.",), {},
     lambda s, p: s.encoded("libmp3lame", "mp3")),
    ("mp3_script_name", "<script>alert(1)</script>.flac", _M, ("lossy_codec",), ("“script>.flac” is an MP3",),
     {}, lambda s, p: s.encoded("libmp3lame", "mp3")),
    ("aac_as_aiff", "master.aiff", _M, ("lossy_codec",), ("an AAC file renamed to .aiff",), {},
     lambda s, p: s.encoded("aac", "adts")),
    ("aac_in_m4a", "master.m4a", _M, ("lossy_codec",), ("holds AAC audio",), {},
     lambda s, p: s.encoded("aac", "ipod")),
    ("opus_as_flac", "master.flac", _M, ("lossy_codec",), ("an Opus file renamed to .flac",), {},
     lambda s, p: s.encoded("libopus", "ogg")),
    ("mp2_in_wav", "master.wav", _M, ("lossy_codec",), ("holds MP2 audio",), {},
     lambda s, p: s.encoded("mp2", "wav")),
    ("mp3_in_wav", "master.wav", _M, ("lossy_codec",), ("WAV file that holds MP3 audio",), {},
     lambda s, p: s.encoded("libmp3lame", "wav")),
    ("vorbis_as_wav", "master.wav", _M, ("lossy_codec",), ("Ogg Vorbis",), {},
     lambda s, p: s.sndfile("OGG", "VORBIS")),
    ("adpcm_wav", "master.wav", _M, ("lossy_codec",), (), {}, lambda s, p: s.sndfile("WAV", "IMA_ADPCM")),
    ("ulaw_aiff", "master.aiff", _M, ("lossy_codec",), (), {}, lambda s, p: s.sndfile("AIFF", "ULAW")),
    ("wavpack", "master.wv", _M, ("unsupported_format",), ("WavPack",), {},
     lambda s, p: s.encoded("wavpack", "wv")),
    ("flac_in_ogg", "master.ogg", _M, ("unsupported_format",), (), {}, lambda s, p: s.encoded("flac", "ogg")),
    ("caf_pcm", "master.caf", _M, ("unsupported_format",), (), {}, lambda s, p: s.sndfile("CAF", "PCM_16")),
    # Polyglots and smuggled files.
    ("flac_header_then_zip", "album.flac", _M, ("hidden_file",), ("ZIP archive",), {},
     lambda s, p: s.master(_FLAC)[: flac_blocks(s.master(_FLAC))[-1][2]] + s.zip_archive()),
    ("flac_with_zip_appended", "album.flac", _M, ("hidden_file",), ("ZIP archive",), {},
     lambda s, p: s.master(_FLAC) + s.zip_archive()),
    ("wav_data_is_png", "image.wav", _M, ("hidden_file",), ("PNG image",), {}, _wav_png),
    ("wav_trailing_junk", "junk.wav", _M, ("trailing_data",), (), {},
     lambda s, p: s.master(".wav") + np.random.default_rng(9).bytes(10**5)),
    ("flac_huge_pictures", "art.flac", _M, ("tags_too_large",), ("embedded pictures",), {}, _flac_pictures),
    ("flac_huge_comment", "notes.flac", _M, ("tags_too_large",), ("tags and notes",), {}, _flac_comment),
    # Not audio at all.
    ("zip_as_flac", "master.flac", _M, ("not_audio",), ("ZIP archive",), {}, lambda s, p: s.zip_archive()),
    ("text_as_flac", "master.flac", _M, ("not_audio",), ("text file",), {}, lambda s, p: _TXT),
    ("html_as_flac", "master.flac", _M, ("not_audio",), ("web page",), {}, lambda s, p: _HTML),
    ("png_as_wav", "master.wav", _M, ("not_audio",), ("PNG image",), {},
     lambda s, p: png_bytes(artwork_image(32, 32))),
    ("jpeg_as_aiff", "master.aiff", _M, ("not_audio",), ("JPEG image",), {},
     lambda s, p: jpeg_bytes(artwork_image(32, 32))),
    ("program_as_wav", "master.wav", _M, ("not_audio",), ("a program",), {},
     lambda s, p: b"MZ\x90\x00" + bytes(400)),
    ("random_bytes", "master.flac", _M, ("not_audio",), (), {},
     lambda s, p: np.random.default_rng(5).bytes(20_000)),
    ("empty", "master.flac", _M, ("empty",), ("0 bytes",), {}, lambda s, p: b""),
    # A format we take, outside the limits.
    ("wav_header_only", "empty.wav", _M, ("no_audio",), (), {}, _wav_header_only),
    ("sparse_over_2gb", "huge.wav", _M, ("too_large",), ("2 GB",), {}, _sparse),
    ("oversize_by_limit", "big.flac", _M, ("too_large",), (), {"max_bytes": 10_000},
     lambda s, p: s.master(_FLAC)),
    ("wav_8khz", "phone.wav", _M, ("sample_rate",), ("8 kHz",), {},
     lambda s, p: s.sndfile("WAV", "PCM_16", rate=8000)),
    ("aiff_22khz", "low.aiff", _M, ("sample_rate",), ("22.05 kHz",), {},
     lambda s, p: s.sndfile("AIFF", "PCM_16", rate=22050)),
    ("wav_8bit", "8bit.wav", _M, ("bit_depth",), ("8-bit",), {}, lambda s, p: s.sndfile("WAV", "PCM_U8")),
    ("wav_float64", "double.wav", _M, ("bit_depth",), ("64-bit floating-point",), {},
     lambda s, p: s.sndfile("WAV", "DOUBLE")),
    ("wav_six_channels", "surround.wav", _M, ("channels",), ("6 channels",), {},
     lambda s, p: s.sndfile("WAV", "PCM_16", channels=6)),
    ("flac_half_second", "blip.flac", _M, ("too_short",), ("0.5 seconds",), {},
     lambda s, p: s.master(_FLAC, seconds=0.5)),
    ("too_long_by_limit", "long.flac", _M, ("too_long",), (), {"max_seconds": 2.0},
     lambda s, p: s.master(_FLAC)),
    ("timeout_by_limit", "slow.flac", _M, ("decode_timeout",), (), {"max_decode_seconds": 0.0},
     lambda s, p: s.master(_FLAC)),
    ("flac_named_wav", "master.wav", _M, ("extension_mismatch",),
     ("is a FLAC file, but its name ends in .wav",), {},
     lambda s, p: s.master(_FLAC)),
    ("silence", "silence.flac", _M, ("silence_only",), (), {}, _silence),
    # Artwork.
    ("art_control_jpeg", "cover.jpg", "artwork", (), (), {}, _image(1500, 1500, "JPEG", quality=90)),
    ("art_control_png_named_jpg", "cover.jpg", "artwork", (), (), {}, _image(1400, 1400, "PNG")),
    ("art_control_cmyk", "print.jpg", "artwork", (), (), {}, _image(3100, 3100, "JPEG", mode="CMYK")),
    ("art_control_near_square", "cover.jpg", "artwork", (), (), {}, _image(2000, 1990, "JPEG")),
    ("art_control_alpha_icc_exif", "cover.png", "artwork", (), (), {}, _alpha_icc_exif),
    ("art_small", "cover.jpg", "artwork", ("too_small",), ("800 x 800",), {}, _image(800, 800, "JPEG")),
    ("art_not_square", "cover.jpg", "artwork", ("not_square",), ("2000 x 1500",), {},
     _image(2000, 1500, "JPEG")),
    ("art_gif", "cover.gif", "artwork", ("unsupported_image",), ("GIF",), {}, _image(64, 64, "GIF")),
    ("art_webp", "cover.webp", "artwork", ("unsupported_image",), ("WebP",), {}, _image(64, 64, "WEBP")),
    ("art_svg", "cover.svg", "artwork", ("unsupported_image",), (), {}, lambda s, p: _SVG),
    ("art_text", "cover.jpg", "artwork", ("not_image",), (), {}, lambda s, p: _TXT),
    ("art_flac", "cover.png", "artwork", ("not_image",), ("FLAC",), {}, lambda s, p: s.master(_FLAC)),
    ("art_empty", "cover.png", "artwork", ("empty",), (), {}, lambda s, p: b""),
    ("art_oversize_by_limit", "cover.jpg", "artwork", ("too_large",), (), {"max_bytes": 20_000},
     _image(1500, 1500, "JPEG")),
    ("art_pixel_flood_png", "flood.png", "artwork", ("too_many_pixels",), ("50000 x 50000",), {}, _flood_png),
    ("art_pixel_flood_jpeg", "flood.jpg", "artwork", ("too_many_pixels",), ("60000 x 60000",), {},
     _flood_jpeg),
    ("art_jpeg_plus_zip", "cover.jpg", "artwork", ("hidden_file",), ("ZIP archive",), {},
     lambda s, p: jpeg_bytes(artwork_image(1500, 1500)) + s.zip_archive()),
    ("art_truncated_jpeg", "cover.jpg", "artwork", ("corrupt",), (), {},
     lambda s, p: _half(jpeg_bytes(artwork_image(400, 400)))),
    ("art_truncated_png", "cover.png", "artwork", ("corrupt",), (), {},
     lambda s, p: _half(png_bytes(artwork_image(400, 400)))),
    ("art_png_bad_crc", "cover.png", "artwork", ("corrupt",), (), {}, _png_bad_crc),
    ("art_animated_png", "cover.png", "artwork", ("animated",), (), {}, _apng),
]


def case_names(target: str) -> list[str]:
    """The cases for one target, known before any file is written (for test parametrisation)."""
    return [case[0] for case in _CASES if case[2] == target]


def build_corpus(directory: str | os.PathLike[str]) -> list[HostileCase]:
    """Write every case into `directory` under a neutral name and return them in a fixed order."""
    root = Path(directory)
    sources = Sources(root / "sources")
    sources.directory.mkdir(parents=True, exist_ok=True)
    cases = []
    for number, (name, filename, target, expected, contains, overrides, make) in enumerate(_CASES):
        path = root / f"{number:03d}-{name}.upload"
        data = make(sources, path)
        if data is not None:
            path.write_bytes(data)
        cases.append(HostileCase(name, path, filename, target, frozenset(expected), contains, overrides))
    return cases
