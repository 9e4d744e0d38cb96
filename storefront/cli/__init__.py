"""Flask commands: db, demo, create-admin, worker, check, sweep, and each room's own."""

from __future__ import annotations

from flask import Flask

from ..attestations.cli import register_cli as register_provenance_cli
from ..orders.preorders import register_cli as register_preorder_cli
from ..screening.copies.cli import register_cli as register_copy_index_cli
from ..search.cli import register_cli as register_search_cli
from . import admin, database, demo, operations, payouts, seed_catalog


def register(app: Flask) -> None:
    app.cli.add_command(database.db)
    app.cli.add_command(demo.demo)
    app.cli.add_command(admin.create_admin)
    app.cli.add_command(operations.worker)
    app.cli.add_command(operations.check)
    app.cli.add_command(operations.sweep_command)
    app.cli.add_command(payouts.reconcile)
    app.cli.add_command(seed_catalog.seed_catalog)
    register_provenance_cli(app)
    register_search_cli(app)
    register_copy_index_cli(app)
    register_preorder_cli(app)
