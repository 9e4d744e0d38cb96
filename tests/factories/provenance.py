"""Test files for the provenance screens: masters, re-encodes, edits, generator tags, C2PA-signed copies."""

from __future__ import annotations

import datetime as dt
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import c2pa
import mutagen
import numpy as np
import soundfile as sf
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from mutagen import id3 as _id3
from mutagen import mp4 as _mp4

from storefront.audio.synth import write_master

# mutagen's frame constructors are untyped.
id3: Any = _id3
MP4FreeForm: Any = _mp4.MP4FreeForm
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
MIME = {".wav": "audio/wav", ".flac": "audio/flac", ".mp3": "audio/mpeg", ".m4a": "audio/mp4"}
# (codec, container format, bit rate, sample rate) for the lossy copies a fan or uploader might make.
ENCODINGS: dict[str, tuple[str, str, int, int]] = {
    ".mp3": ("libmp3lame", "mp3", 320_000, 44100),
    ".m4a": ("aac", "ipod", 256_000, 44100),
    ".opus": ("libopus", "ogg", 96_000, 48000),
    ".aac": ("aac", "adts", 192_000, 44100),
}


def master(path: Path, *, seed: int, seconds: float = 30.0) -> Path:
    """A lossless synthetic master (FLAC, WAV or AIFF by extension); each seed is a different piece."""
    write_master(path, seed=seed, seconds=seconds)
    return path


def encode(src: Path, dst: Path) -> Path:
    """Lossy copy of `src`, codec chosen by the extension of `dst` (.mp3 320k, .m4a/.aac AAC, .opus 96k)."""
    codec, fmt, bit_rate, rate = ENCODINGS[dst.suffix]
    with av.open(str(src)) as inp, av.open(str(dst), "w", format=fmt) as out:
        stream: Any = out.add_stream(codec, rate=rate)
        stream.bit_rate = bit_rate
        resampler = av.AudioResampler(format=stream.codec_context.codec.audio_formats[0].name,
                                      layout="stereo", rate=rate)
        for frame in [*inp.decode(audio=0), None]:
            for converted in resampler.resample(frame):
                for packet in stream.encode(converted):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return dst


def trim(src: Path, dst: Path, seconds: float) -> Path:
    """Copy without its first `seconds`, as a ripped or re-edited upload would be."""
    data, rate = sf.read(str(src), dtype="float32")
    sf.write(str(dst), data[int(seconds * rate):], rate)
    return dst


def gain(src: Path, dst: Path, db: float) -> Path:
    data, rate = sf.read(str(src), dtype="float32")
    sf.write(str(dst), np.clip(data * 10 ** (db / 20), -1.0, 1.0), rate)
    return dst


# Generic tag names mapped to each container's own fields.
_ID3 = {"title": "TIT2", "artist": "TPE1", "software": "TSSE", "encoded_by": "TENC"}
_VORBIS = {"title": "TITLE", "artist": "ARTIST", "software": "ENCODER", "encoded_by": "ENCODED_BY",
           "comment": "COMMENT"}
_MP4 = {"title": "\xa9nam", "artist": "\xa9ART", "software": "\xa9too", "encoded_by": "\xa9enc",
        "comment": "\xa9cmt"}
_RIFF = {"title": "INAM", "artist": "IART", "software": "ISFT", "comment": "ICMT"}


def write_tags(path: Path, fields: Mapping[str, str]) -> Path:
    """Tag a file with generic fields (title, artist, comment, software, encoded_by, custom:KEY).

    WAV gets RIFF INFO where it has a field and an ID3 chunk for the rest; AIFF and MP3 get ID3.
    """
    ext = path.suffix.lower()
    if ext in (".mp3", ".aiff", ".aif") or (ext == ".wav" and any(k not in _RIFF for k in fields)):
        _write_id3(path, {k: v for k, v in fields.items() if ext != ".wav" or k not in _RIFF})
    if ext == ".wav":
        _append_riff_info(path, {_RIFF[k]: v for k, v in fields.items() if k in _RIFF})
    elif ext in (".flac", ".opus", ".ogg"):
        audio: Any = mutagen.File(str(path))
        for key, value in fields.items():
            audio[key.removeprefix("custom:") if key.startswith("custom:") else _VORBIS[key]] = [value]
        audio.save()
    elif ext == ".m4a":
        audio = mutagen.File(str(path))
        if audio.tags is None:
            audio.add_tags()
        for key, value in fields.items():
            if key.startswith("custom:"):
                audio.tags[f"----:com.apple.iTunes:{key[7:]}"] = [MP4FreeForm(value.encode())]
            else:
                audio.tags[_MP4[key]] = [value]
        audio.save()
    return path


def _write_id3(path: Path, fields: Mapping[str, str]) -> None:
    audio: Any = mutagen.File(str(path))
    if audio.tags is None:
        audio.add_tags()
    for key, value in fields.items():
        if key.startswith("custom:"):
            audio.tags.add(id3.TXXX(encoding=3, desc=key[7:], text=[value]))
        elif key == "comment":
            audio.tags.add(id3.COMM(encoding=3, lang="eng", desc="", text=[value]))
        else:
            audio.tags.add(getattr(id3, _ID3[key])(encoding=3, text=[value]))
    audio.save()


def _append_riff_info(path: Path, info: Mapping[str, str]) -> None:
    if not info:
        return
    body = b"INFO"
    for cid, text in info.items():
        data = text.encode("utf-8") + b"\x00"
        pad = b"\x00" if len(data) % 2 else b""
        body += cid.encode("ascii") + struct.pack("<I", len(data)) + data + pad
    with open(path, "r+b") as handle:
        handle.seek(0, os.SEEK_END)
        handle.write(b"LIST" + struct.pack("<I", len(body)) + body)
        size = handle.tell() - 8
        handle.seek(4)
        handle.write(struct.pack("<I", size))


@dataclass
class ThrowawayCA:
    """An offline ES256 CA and signing certificate: valid signatures, but on no trust list."""

    ca_pem: bytes
    chain_pem: bytes
    key_pem: bytes

    @classmethod
    def create(cls, name: str = "Velvet Test") -> ThrowawayCA:
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} CA"),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)])
        ca = _cert(ca_name, ca_name, ca_key.public_key(), ca_key, now, is_ca=True)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} Signer"),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)])
        cert = _cert(subject, ca_name, key.public_key(), ca_key, now, is_ca=False)
        pem = serialization.Encoding.PEM
        return cls(
            ca_pem=ca.public_bytes(pem),
            chain_pem=cert.public_bytes(pem) + ca.public_bytes(pem),
            key_pem=key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        )

    def install(self, folder: Path) -> tuple[Path, Path]:
        """Write the chain and key as a deployment provides them; returns (chain path, key path)."""
        folder.mkdir(parents=True, exist_ok=True)
        chain, key = folder / "c2pa-chain.pem", folder / "c2pa-key.pem"
        chain.write_bytes(self.chain_pem)
        key.write_bytes(self.key_pem)
        key.chmod(0o600)
        return chain, key

    def signer(self) -> c2pa.Signer:
        return c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, self.chain_pem,
                                                         self.key_pem, None))


def _cert(subject: x509.Name, issuer: x509.Name, public_key: Any, signing_key: Any, now: dt.datetime, *,
          is_ca: bool) -> x509.Certificate:
    usage = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment",
                           "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign", "encipher_only",
                           "decipher_only"), False)
    usage.update({"key_cert_sign": True, "crl_sign": True} if is_ca else {"digital_signature": True})
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=0 if is_ca else None),
                              critical=True)
               .add_extension(x509.KeyUsage(**usage), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
    if not is_ca:
        # C2PA validators require a document-signing style extended key usage on the signer.
        builder = (builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                                         critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                                  critical=False))
    return builder.sign(signing_key, hashes.SHA256())


def manifest(source_type: str, *, generator: str = "Velvet Test DAW", title: str = "Test track",
             action: str = "c2pa.created") -> dict[str, Any]:
    return {
        "claim_generator_info": [{"name": generator, "version": "1.0"}],
        "title": title,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [
            {"action": action, "digitalSourceType": IPTC + source_type}]}}],
    }


def edit_manifest(source_type: str = "humanEdits", *, generator: str = "Velvet Test DAW") -> dict[str, Any]:
    """A human edit of a parent ingredient (pass `parent=` to c2pa_sign)."""
    return {
        "claim_generator_info": [{"name": generator, "version": "2.0"}],
        "title": "Edited track",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [
            {"action": "c2pa.opened", "parameters": {"ingredientIds": ["parent"]}},
            {"action": "c2pa.edited", "digitalSourceType": IPTC + source_type}]}}],
    }


def c2pa_sign(src: Path, dst: Path, ca: ThrowawayCA, definition: Mapping[str, Any],
              parent: Path | None = None) -> Path:
    """Sign a copy of `src` (tag it first: editing tags afterwards invalidates the manifest)."""
    mime = MIME[src.suffix.lower()]
    builder = c2pa.Builder(dict(definition))
    with builder:
        if parent is not None:
            with open(parent, "rb") as ingredient:
                builder.add_ingredient({"title": parent.name, "relationship": "parentOf", "label": "parent"},
                                       MIME[parent.suffix.lower()], ingredient)
        with ca.signer() as signer, open(src, "rb") as source, open(dst, "w+b") as out:
            builder.sign(signer, mime, source, out)
    return dst


def tamper(src: Path, dst: Path) -> Path:
    """Copy with one byte of the audio payload (the middle of the file) flipped."""
    data = bytearray(src.read_bytes())
    data[len(data) // 2] ^= 0x5A
    dst.write_bytes(bytes(data))
    return dst
