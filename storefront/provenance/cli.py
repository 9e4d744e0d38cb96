"""`flask verify`: check a human-made certificate and, given files, that they are the certified ones."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .verification import (
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
@with_appcontext
def verify_command(certificate: Path, files: tuple[Path, ...], keys_path: Path | None) -> None:
    """Check CERTIFICATE's signatures and that each of FILES is a master or the artwork it binds.

    Exits 0 when everything checks out, 1 otherwise; every check is printed with its reason.
    """
    try:
        data = parse_certificate(certificate.read_bytes())
    except CertificateFormatError as error:
        click.echo(f"INVALID: {certificate.name} can't be checked: {error}")
        sys.exit(1)
    if keys_path is not None:
        keys = json.loads(keys_path.read_text()).get("keys", [])
    else:
        keys = keyring_for(current_app.extensions, current_app.extensions["storefront"].settings).jwks()
    verdict = verify_certificate(data, keys, [digest_path(path) for path in files])
    for check in verdict.checks:
        click.echo(f"  [{'ok  ' if check.ok else 'FAIL'}] {check.message}")
    if verdict.ok:
        click.echo("VALID: the certificate checks out.")
        return
    click.echo("INVALID: " + " ".join(verdict.reasons))
    sys.exit(1)


def register_cli(app: Flask) -> None:
    app.cli.add_command(verify_command)
