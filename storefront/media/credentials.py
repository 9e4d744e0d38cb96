"""The platform's Content Credentials on the downloads the media jobs make: the last write to each file."""

from __future__ import annotations

from pathlib import Path

from ..attestations.signing.credentials import IdentityError, load_identity
from ..audio.credentials import (
    CredentialsError,
    Provenance,
    SigningCredential,
    manifest_definition,
    sign_file,
)
from ..config import Settings

__all__ = ["CredentialsError", "IdentityError", "Signing"]


class Signing:
    """Signs one job's files; the identity is read (or, outside production, first issued) when the first
    file needs it, so jobs that make no signed format never touch it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._credential: SigningCredential | None = None

    def sign(self, path: Path, fmt_key: str, provenance: Provenance) -> None:
        """Raises CredentialsError or IdentityError, whose message says why the file has none."""
        if self._credential is None:
            self._credential = load_identity(self.settings).credential
        sign_file(path, fmt_key, manifest_definition(fmt_key, provenance), self._credential)
