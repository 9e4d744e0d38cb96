"""`flask create-admin`: make (or promote) a platform administrator."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ..accounts.credentials import password_problem
from ..accounts.models import User
from ..accounts.services import AccountError, normalise_email
from ..container import Platform
from ..db import utcnow
from ..events import record_event


@click.command("create-admin")
@with_appcontext
@click.argument("email")
@click.option("--name", default="Administrator", help="Display name for a new account.")
@click.password_option(help="Password for a new account (asked for when not given).")
def create_admin(email: str, name: str, password: str) -> None:
    """Create an administrator account for EMAIL, or make the existing account an administrator."""
    platform: Platform = current_app.extensions["storefront"]
    try:
        address = normalise_email(email)
    except AccountError as error:
        raise click.BadParameter(error.message, param_hint="EMAIL") from None
    with platform.database.transaction() as session:
        user = session.scalar(select(User).where(func.lower(User.email) == address))
        if user is None:
            if problem := password_problem(password, email=address):
                raise click.BadParameter(problem, param_hint="--password")
            user = User(
                email=address,
                display_name=name,
                password_hash=platform.passwords.hash(password),
                email_verified_at=utcnow(),
            )
            session.add(user)
            session.flush()
            created = True
        else:
            created = False
        user.is_admin = True
        record_event(
            session,
            "user:admin_granted",
            subject_type="user",
            subject_id=user.id,
            actor_id=None,
            data={"via": "cli"},
        )
    click.echo(f"{'Created' if created else 'Promoted'} administrator {address}.")
