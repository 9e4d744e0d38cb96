"""`flask verify` checks a certificate (and files against it); `flask rotate-key` rotates the signing key."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .manifests.lookup import StoredEntries
from .manifests.matching import Chained, EntrySource, ListedEntries
from .services import AttestationService
from .signing.keys import RotationError, rotate_key
from .signing.platform import PlatformKey
from .verification import (
    EXTENSION,
    CertificateFormatError,
    digest_path,
    keyring_for,
    parse_certificate,
    verify_certificate,
)


@click.command("verify")
@click.argument("certificate", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--keys",
    "keys_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JWK set to trust instead of this platform's keys (as /.well-known/velvet/platform-key.json).",
)
@click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A rendition manifest (as /releases/ID/manifest.json) to look files up in, besides this site's own.",
)
@with_appcontext
def verify_command(
    certificate: Path, files: tuple[Path, ...], keys_path: Path | None, manifest_path: Path | None
) -> None:
    """Check CERTIFICATE statement by statement, and what each of FILES is: a master or the artwork it binds,
    or a file the platform delivered for it (any format, an album ZIP or a file from inside it, a cover),
    by its exact bytes or, for lossless audio whose tags were changed, by its decoded samples.

    Exits 0 when everything checks out, 1 otherwise; every check is printed with its reason.
    """
    try:
        data = parse_certificate(certificate.read_bytes())
        extra = _manifest_entries(manifest_path) if manifest_path is not None else None
    except CertificateFormatError as error:
        click.echo(f"INVALID: can't be checked: {error}")
        sys.exit(1)
    platform = current_app.extensions["storefront"]
    keyring = keyring_for(current_app.extensions, platform.settings)
    keys = json.loads(keys_path.read_text()).get("keys", []) if keys_path is not None else keyring.jwks()
    digests = [digest_path(path, audio=True) for path in files]
    with platform.database.session() as session:
        entries: EntrySource = StoredEntries(session)
        if extra is not None:
            entries = Chained(extra, entries)
        service = AttestationService(
            session, secret=platform.settings.secret_key, keyring=keyring, issuer=platform.settings.base_url
        )
        verdict = verify_certificate(
            data, keys, digests, entries=entries, current_status=service.current_status(data["document"])
        )
    for section in verdict.sections():
        click.echo(f"{section.title}: {section.covers}")
        for check in section.checks:
            mark = ("ok  " if section.signed else "note") if check.ok else "FAIL"
            click.echo(f"  [{mark}] {check.message}")
    if verdict.ok:
        click.echo("VALID: the certificate checks out.")
        return
    click.echo("INVALID: " + " ".join(verdict.reasons))
    sys.exit(1)


@click.command("rotate-key")
@click.option(
    "--from",
    "new_key_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A PEM Ed25519 private key to sign with from now on (required in production); "
    "without it a new key is generated.",
)
@with_appcontext
def rotate_key_command(new_key_path: Path | None) -> None:
    """Sign new certificates with a new platform key; the old public key stays published as retired, so
    every certificate signed so far still verifies."""
    settings = current_app.extensions["storefront"].settings
    new = None
    if new_key_path is not None:
        try:
            new = PlatformKey.from_pem(new_key_path.read_bytes())
        except ValueError as error:
            raise click.ClickException(f"{new_key_path.name} can't be used: {error}.") from None
    try:
        rotation = rotate_key(settings, new)
    except RotationError as error:
        raise click.ClickException(f"Nothing was changed: {error}") from None
    current_app.extensions.pop(EXTENSION, None)  # this process reads the new key and retired list
    click.echo(f"New certificates are signed with key {rotation.new_kid}.")
    click.echo(f"Key {rotation.old_kid} is retired: listed in {rotation.retired_path} and still published.")
    click.echo("Restart every app and worker process so they all sign with the new key.")
    if new_key_path is None:
        click.echo(
            "The new key was generated here, which is fine outside production; production accepts only "
            "a key you provide with --from FILE."
        )


def _manifest_entries(path: Path) -> ListedEntries:
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise CertificateFormatError(f"{path.name} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise CertificateFormatError(f"{path.name} is not a rendition manifest: it has no “entries”")
    return ListedEntries(data["entries"])


def register_cli(app: Flask) -> None:
    app.cli.add_command(verify_command)
    app.cli.add_command(rotate_key_command)
