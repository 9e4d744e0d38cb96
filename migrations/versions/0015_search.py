"""search: documents of public artists, releases, tracks, labels, tags and genres, and each engine's index

On SQLite: FTS5 tables over names, context and keywords (unicode61 with diacritics removed, prefix indexes for
search-as-you-type) and a trigram FTS5 table over folded names for spelling mistakes, all external-content
tables kept in step with search_documents by triggers. A later migration that rebuilds search_documents in
batch mode (copy and rename) drops those triggers and must create them again; an FTS5 'rebuild' command
would put tracks into search_trigrams, which leaves them out: rebuild with `flask search-reindex` instead.

On PostgreSQL: the unaccent and pg_trgm extensions, an immutable unaccent wrapper, generated tsvector columns
(the `simple` configuration over unaccented text, each word prefixed with the document's kind: every searched
column, and names alone) with GIN indexes, functions reading a kind's first matches from them, and a GIN
trigram index on folded names (tracks left out, as on SQLite).
The extensions are left in place on downgrade: they belong to the database, and other schemas may use them.

The index starts empty: `flask search-reindex` fills it from the catalog.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-12 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

FOLDED = sa.String(length=300).with_variant(sa.String(length=300, collation="C"), "postgresql")

# Three FTS5 tables read search_documents (external content), kept in step by the triggers below:
# search_fts: every searched column, for the query's words anywhere in a document;
# search_names: names only, so that "words in the name" stays cheap when a word is common elsewhere;
# search_trigrams: folded names of everything but tracks, for the spelling fallback.
# `kind` is an indexed column so that each kind's best few are read apart (MATCH 'kind : track AND ...').
# detail=column: only which column a word is in is kept, not its positions (no phrase or NEAR queries).
_FTS_OPTIONS = "content='search_documents', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3', detail=column"
_INSERT = """
        INSERT INTO search_fts(rowid, kind, name, context, keywords)
            VALUES (new.id, new.kind, new.name, new.context, new.keywords);
        INSERT INTO search_names(rowid, kind, name) VALUES (new.id, new.kind, new.name);
        INSERT INTO search_trigrams(rowid, folded) SELECT new.id, new.folded WHERE new.kind <> 'track';"""
_DELETE = """
        INSERT INTO search_fts(search_fts, rowid, kind, name, context, keywords)
            VALUES ('delete', old.id, old.kind, old.name, old.context, old.keywords);
        INSERT INTO search_names(search_names, rowid, kind, name) VALUES ('delete', old.id, old.kind, old.name);
        INSERT INTO search_trigrams(search_trigrams, rowid, folded)
            SELECT 'delete', old.id, old.folded WHERE old.kind <> 'track';"""
SQLITE_UP = [
    f"CREATE VIRTUAL TABLE search_fts USING fts5(kind, name, context, keywords, {_FTS_OPTIONS})",
    f"CREATE VIRTUAL TABLE search_names USING fts5(kind, name, {_FTS_OPTIONS})",
    "CREATE VIRTUAL TABLE search_trigrams USING fts5(folded, content='search_documents', content_rowid='id', "
    "tokenize='trigram', detail=column)",
    f"CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN {_INSERT}\n    END",
    f"CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN {_DELETE}\n    END",
    f"CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN {_DELETE}{_INSERT}\n    END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_documents_au",
    "DROP TRIGGER IF EXISTS search_documents_ad",
    "DROP TRIGGER IF EXISTS search_documents_ai",
    "DROP TABLE IF EXISTS search_trigrams",
    "DROP TABLE IF EXISTS search_names",
    "DROP TABLE IF EXISTS search_fts",
]


def _extension_schema(name: str) -> str:
    schema = op.get_bind().scalar(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = :name"
        ),
        {"name": name},
    )
    assert schema is not None, f"extension {name} is not installed"
    return '"' + str(schema).replace('"', '""') + '"'


def _postgres_up() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    unaccent, trgm = _extension_schema("unaccent"), _extension_schema("pg_trgm")
    here = '"' + str(op.get_bind().scalar(sa.text("SELECT current_schema()"))).replace('"', '""') + '"'
    # Statements below are built from constants and the schema names looked up here.
    # Functions named with their schemas, so that what an index or generated column computes does not
    # depend on the search_path of whoever writes the row (or restores a dump).
    # unaccent() is only STABLE (its dictionary could change); an index or generated column needs an
    # IMMUTABLE function.
    dictionary = f"{unaccent}.unaccent".replace("'", "''")
    op.execute(
        "CREATE OR REPLACE FUNCTION velvet_unaccent(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
        f"AS $$ SELECT {unaccent}.unaccent('{dictionary}'::regdictionary, $1) $$"
    )
    # (kind, text): the text's words (`simple` configuration, unaccented), each prefixed with the kind, as in
    # "track styrso". The parser splits at spaces, so no text makes such a lexeme: each kind has its own
    # posting lists, and a kind's matches are one small GIN lookup however common a word is elsewhere.
    op.execute(
        "CREATE OR REPLACE FUNCTION velvet_kind_lexemes(text, text) RETURNS tsvector "  # noqa: S608
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$ "
        "SELECT coalesce(array_to_tsvector(array_agg($1 || ' ' || t.lexeme)), ''::tsvector) "
        f"FROM unnest(to_tsvector('simple'::regconfig, {here}.velvet_unaccent($2))) AS t $$"
    )
    # (kind, words, last word begun): the query for documents of that kind holding every word, the last
    # as a prefix when begun. The words become lexemes exactly as the documents' text did, and are quoted
    # here, so nothing typed is read as tsquery syntax (the words are letters and digits, so quote_literal
    # never needs its E'' form); NULL (no match) when no word makes a lexeme.
    op.execute(
        "CREATE OR REPLACE FUNCTION velvet_kind_query(text, text[], boolean) RETURNS tsquery "  # noqa: S608
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$ "
        "SELECT string_agg(quote_literal($1 || ' ' || t.lexeme) "
        "|| CASE WHEN $3 AND w.n = cardinality($2) THEN ':*' ELSE '' END, ' & ')::tsquery "
        "FROM unnest($2) WITH ORDINALITY AS w(word, n), "
        f"unnest(to_tsvector('simple'::regconfig, {here}.velvet_unaccent(w.word))) AS t $$"
    )
    op.execute(
        "ALTER TABLE search_documents ADD COLUMN document tsvector GENERATED ALWAYS AS ("
        f"{here}.velvet_kind_lexemes(kind, name || ' ' || context || ' ' || keywords)) STORED"
    )
    # Names alone, apart, so that a word common in context does not have every row holding it read to find
    # the few with it in the name.
    op.execute(
        "ALTER TABLE search_documents ADD COLUMN names tsvector GENERATED ALWAYS AS ("
        f"{here}.velvet_kind_lexemes(kind, name)) STORED"
    )
    # Small pending lists: a search reads the whole pending list of an index, which grows between vacuums.
    for name, column in (
        ("ix_search_documents_document", "document"),
        ("ix_search_documents_names", "names"),
    ):
        op.execute(
            f"CREATE INDEX {name} ON search_documents USING gin ({column}) WITH (gin_pending_list_limit = 256)"
        )
    # (words, last word begun, kinds, how many): the first few matches of each kind, read from the GIN index.
    # With a LIMIT, the planner may prefer reading the table in order until enough rows match, which reads
    # all of it when a word is rare; within these functions only the index is read.
    for function, column in (("velvet_search_names", "names"), ("velvet_search_words", "document")):
        op.execute(
            f"CREATE OR REPLACE FUNCTION {function}(text[], boolean, text[], integer) "  # noqa: S608
            "RETURNS SETOF integer LANGUAGE sql STABLE SET enable_seqscan = off AS $$ "
            "SELECT m.id FROM unnest($3) AS k(kind), LATERAL ("
            f"SELECT id FROM {here}.search_documents "
            f"WHERE {column} @@ {here}.velvet_kind_query(k.kind, $1, $2) LIMIT $4) AS m $$"
        )
    # Tracks are left out: a hundred thousand titles are too many to compare with each misspelt keystroke.
    op.execute(
        "CREATE INDEX ix_search_documents_trigrams ON search_documents "
        f"USING gin (folded {trgm}.gin_trgm_ops) WITH (gin_pending_list_limit = 256) WHERE kind <> 'track'"
    )


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("folded", FOLDED, nullable=False),
        sa.Column("context", sa.String(length=300), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("artist_slug", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("popularity", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("artist_id", sa.Integer(), nullable=True),
        sa.Column("label_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("key", name=op.f("uq_search_documents_key")),
    )
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.create_index("ix_search_documents_kind_folded", ["kind", "folded"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_documents_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_documents_artist_id"), ["artist_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_documents_label_id"), ["label_id"], unique=False)
    op.create_table(
        "search_facets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_facets")),
    )
    with op.batch_alter_table("search_facets", schema=None) as batch_op:
        batch_op.create_index("ix_search_facets_facet_value", ["facet", "value"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_facets_release_id"), ["release_id"], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    elif dialect == "postgresql":
        _postgres_up()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    op.drop_table("search_facets")
    op.drop_table("search_documents")
    if dialect == "postgresql":
        for function in (
            "velvet_search_names(text[], boolean, text[], integer)",
            "velvet_search_words(text[], boolean, text[], integer)",
            "velvet_kind_query(text, text[], boolean)",
            "velvet_kind_lexemes(text, text)",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
        op.execute("DROP FUNCTION IF EXISTS velvet_unaccent(text)")
