"""catalog listings read indexes: public releases newest first (overall, by genre, location, artist, label, tag),
artists newest first; curated collections; the tags of public releases and the tallies of their tags, genres,
places and labels

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-11 12:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import storefront.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_RELEASE_INDEXES = {
    "ix_releases_status_approved": ["status", "approved_at", "id"],
    "ix_releases_status_genre_approved": ["status", "genre", "approved_at", "id"],
    "ix_releases_status_location_approved": ["status", "location", "approved_at", "id"],
    "ix_releases_artist_status_approved": ["artist_id", "status", "approved_at", "id"],
    "ix_releases_label_status_approved": ["label_id", "status", "approved_at", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("releases", schema=None) as batch_op:
        for name, columns in _RELEASE_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table("artists", schema=None) as batch_op:
        batch_op.create_index("ix_artists_created", ["created_at", "id"], unique=False)

    op.create_table(
        "curated_collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", storefront.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["labels.id"],
            name=op.f("fk_curated_collections_label_id_labels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_curated_collections_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curated_collections")),
        sa.UniqueConstraint("slug", name=op.f("uq_curated_collections_slug")),
    )
    with op.batch_alter_table("curated_collections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_curated_collections_label_position", ["label_id", "position", "id"], unique=False
        )

    op.create_table(
        "collection_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["curated_collections.id"],
            name=op.f("fk_collection_items_collection_id_curated_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_collection_items_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_items")),
        sa.UniqueConstraint(
            "collection_id", "release_id", name=op.f("uq_collection_items_collection_id_release_id")
        ),
    )
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_collection_items_collection_position", ["collection_id", "position"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_collection_items_release_id"), ["release_id"], unique=False)

    tags = op.create_table(
        "release_tags",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.Column("approved_at", storefront.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_tags_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "tag", name=op.f("pk_release_tags")),
    )
    with op.batch_alter_table("release_tags", schema=None) as batch_op:
        batch_op.create_index(
            "ix_release_tags_tag_approved", ["tag", "approved_at", "release_id"], unique=False
        )

    tallies = op.create_table(
        "catalog_tallies",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("releases", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "name", name=op.f("pk_catalog_tallies")),
    )
    with op.batch_alter_table("catalog_tallies", schema=None) as batch_op:
        batch_op.create_index("ix_catalog_tallies_kind_releases", ["kind", "releases", "name"], unique=False)
    _fill(tags, tallies)


def _fill(tags: sa.Table, tallies: sa.Table) -> None:
    """The tags and tallies of the releases already public, normalised as the application stores them."""
    releases = sa.table(
        "releases",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("approved_at", storefront.db.UTCDateTime(timezone=True)),
        sa.column("tags", sa.JSON()),
        sa.column("genre", sa.String()),
        sa.column("location", sa.String()),
        sa.column("label_id", sa.Integer()),
    )
    found = op.get_bind().execute(
        sa.select(
            releases.c.id,
            releases.c.approved_at,
            releases.c.tags,
            releases.c.genre,
            releases.c.location,
            releases.c.label_id,
        ).where(releases.c.status == "approved", releases.c.approved_at.is_not(None))
    )
    rows: list[dict[str, Any]] = []
    counts: dict[tuple[str, str], int] = {}
    for release_id, approved_at, raw, genre, location, label_id in found:
        seen: set[str] = set()
        for value in raw or []:
            tag = " ".join(value.strip().lower().split())[:40].strip() if isinstance(value, str) else ""
            if tag and tag not in seen:
                seen.add(tag)
                rows.append({"release_id": release_id, "tag": tag, "approved_at": approved_at})
        named = [("tag", tag) for tag in seen] + [("genre", genre), ("location", location)]
        named.append(("label", str(label_id) if label_id else ""))
        for kind, name in named:
            if name:
                counts[(kind, name)] = counts.get((kind, name), 0) + 1
    if rows:
        op.bulk_insert(tags, rows)
    if counts:
        op.bulk_insert(tallies, [{"kind": k, "name": n, "releases": c} for (k, n), c in counts.items()])


def downgrade() -> None:
    op.drop_table("catalog_tallies")
    op.drop_table("release_tags")
    op.drop_table("collection_items")
    op.drop_table("curated_collections")
    with op.batch_alter_table("artists", schema=None) as batch_op:
        batch_op.drop_index("ix_artists_created")
    with op.batch_alter_table("releases", schema=None) as batch_op:
        for name in reversed(_RELEASE_INDEXES):
            batch_op.drop_index(name)
