"""The names of files sent by a plain HTML form, read back from the key storage gave them."""

from __future__ import annotations

from ...audio.problems import display_name
from ...storage.interfaces import FILENAME_VARIABLE, InvalidKey, validate_key
from ..models import Upload

# The length of the uploads.staging_key column; a key from storage must fit in it.
MAX_STAGING_KEY = 300


def form_prefix(upload: Upload) -> str | None:
    """The prefix a plain form's file lands under, followed by its name; None for an upload with one key."""
    if upload.staging_key.endswith(FILENAME_VARIABLE):
        return upload.staging_key[: -len(FILENAME_VARIABLE)]
    return None


def addressable(key: str) -> bool:
    try:
        validate_key(key)
    except InvalidKey:
        return False
    return True


def sent_name(upload: Upload, key: str) -> str | None:
    """The file's name as the browser sent it, from the key storage reported; None unless that key is one
    object directly under the upload's prefix that every backend can address and the database can hold.

    S3 puts the name in the key unchanged, so a crafted request can make any key under the prefix."""
    prefix = form_prefix(upload)
    if prefix is None or not key.startswith(prefix) or len(key) > MAX_STAGING_KEY:
        return None
    sent = key[len(prefix) :]
    if not sent or "/" in sent or not addressable(key):
        return None
    return sent


def shown_name(sent: str) -> str:
    """A sent file name as the artist knows it, safe to show in any message."""
    # Browsers send a form's file name with quotes and line breaks percent-encoded (HTML standard).
    return display_name(sent.replace("%22", '"').replace("%0D", " ").replace("%0A", " "))
