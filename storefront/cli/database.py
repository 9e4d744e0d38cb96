"""`flask db`: schema migrations with Alembic."""

from __future__ import annotations

import click
from alembic import command
from alembic.config import Config
from flask import current_app
from flask.cli import AppGroup

from .. import ROOT


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    # Percent signs in passwords would otherwise be read as interpolation by configparser.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade along the one linear history (a second head is an error, caught by the migration test)."""
    command.upgrade(alembic_config(url), revision)


def _url() -> str:
    url: str = current_app.extensions["storefront"].settings.resolved_database_url
    return url


db = AppGroup("db", help="Database schema commands.")


@db.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Bring the database schema up to REVISION (default: the newest)."""
    upgrade(_url(), revision)
    click.echo(f"Database is at {revision}.")


@db.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Take the schema back to REVISION."""
    command.downgrade(alembic_config(_url()), revision)


@db.command("current")
def current_command() -> None:
    """Show the schema revision in force."""
    command.current(alembic_config(_url()), verbose=False)


@db.command("revision")
@click.option("-m", "--message", required=True)
def revision_command(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    command.revision(alembic_config(_url()), message=message, autogenerate=True)
