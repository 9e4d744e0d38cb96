"""Content-Disposition values (RFC 6266) for downloads, shared by every storage backend."""

from __future__ import annotations

import unicodedata
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

_FALLBACK_NAME = "download"
# Long enough for any real title, short enough that every file system can save it.
_MAX_NAME_CHARS = 150


def safe_filename(filename: str) -> str:
    """The name a browser may save under: no directories, no control characters, never empty."""
    # A name is a label for the user, never a path; titles such as "AC/DC" keep their words.
    name = filename.replace("/", "_").replace("\\", "_")
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = name.strip().strip(".")
    if not name:
        return _FALLBACK_NAME
    if len(name) > _MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10 and stem:
            name = stem[: _MAX_NAME_CHARS - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:_MAX_NAME_CHARS]
    return name


def _ascii_fallback(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    chars = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        # Quotes and backslashes would end or escape the quoted-string; '%' is decoded by some browsers.
        if ch in '"\\%' or not (" " <= ch <= "~"):
            chars.append("_")
        else:
            chars.append(ch)
    fallback = "".join(chars).strip()
    return fallback or _FALLBACK_NAME


def content_disposition(filename: str | None, inline: bool = False) -> str:
    """`attachment` (or `inline`) with a quoted ASCII `filename` and, when needed, a UTF-8 `filename*`."""
    kind = "inline" if inline else "attachment"
    if filename is None:
        return kind
    name = safe_filename(filename)
    fallback = _ascii_fallback(name)
    value = f'{kind}; filename="{fallback}"'
    if fallback != name:
        # RFC 5987 ext-value: only unreserved characters stay literal, so it cannot break the header.
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def add_query(url: str, **params: str) -> str:
    """`url` with `params` added to its query string (replacing any of the same name)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(sorted(params.items()))
    return urlunsplit(parts._replace(query=urlencode(query)))
