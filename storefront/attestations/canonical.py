"""Canonical JSON (RFC 8785 JCS for the value types attestations use) and the hashes taken over it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

# JCS numbers are IEEE-754 doubles; beyond 2**53 two different integers would print the same way.
MAX_SAFE_INTEGER = 2**53 - 1

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class CanonicalJsonError(TypeError):
    """A value that has no single canonical JSON form here (floats, non-string keys, lone surrogates...)."""


def canonical_bytes(obj: object) -> bytes:
    """UTF-8 bytes of `obj` in canonical form: sorted keys, no insignificant whitespace.

    Accepts dicts with str keys, lists and tuples, str, int (within +/- 2**53-1), bool and None.
    Floats are refused rather than formatted: a signed document must not depend on how a float prints.
    """
    parts: list[str] = []
    _write(obj, parts, "$")
    return "".join(parts).encode("utf-8")


def canonical_text(obj: object) -> str:
    return canonical_bytes(obj).decode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_sha256(obj: object) -> str:
    return sha256_hex(canonical_bytes(obj))


def _utf16_key(key: str) -> bytes:
    # RFC 8785 sorts member names by their UTF-16 code units, which differs from code point order for
    # characters above U+FFFF compared with U+E000..U+FFFF.
    return key.encode("utf-16-be", errors="surrogatepass")


def _write(value: object, out: list[str], path: str) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalJsonError(f"{path}: integer {value} is outside the exactly representable range")
        out.append(str(int(value)))
    elif isinstance(value, float):
        raise CanonicalJsonError(f"{path}: floats are not allowed in canonical documents (use int or str)")
    elif isinstance(value, str):
        out.append(_string(value, path))
    elif isinstance(value, Mapping):
        _write_object(value, out, path)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, f"{path}[{i}]")
        out.append("]")
    else:
        raise CanonicalJsonError(f"{path}: {type(value).__name__} has no canonical JSON form")


def _write_object(value: Mapping[object, object], out: list[str], path: str) -> None:
    for key in value:
        if not isinstance(key, str):
            raise CanonicalJsonError(f"{path}: object keys must be str, not {type(key).__name__}")
    keys = sorted((k for k in value if isinstance(k, str)), key=_utf16_key)
    out.append("{")
    for i, key in enumerate(keys):
        if i:
            out.append(",")
        out.append(_string(key, path))
        out.append(":")
        _write(value[key], out, f"{path}.{key}")
    out.append("}")


def _string(text: str, path: str) -> str:
    chars = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _SHORT_ESCAPES:
            chars.append(_SHORT_ESCAPES[ch])
        elif code < 0x20:
            chars.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            raise CanonicalJsonError(f"{path}: lone surrogate U+{code:04X} cannot be encoded as UTF-8")
        else:
            chars.append(ch)
    chars.append('"')
    return "".join(chars)
