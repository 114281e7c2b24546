"""Search: one search document per asset, rebuilt in the transaction of every change that feeds it.

The document is its own row (``search_documents``), not columns of ``assets``: it holds, besides
the weighted text, every value a search filters, sorts or facets by, copied from the asset, so a
search reads one table through its indexes and joins ``assets`` only for the page it answers.

- ``doc``: weight A = the title and the filename split on ``._-`` and spaces; B = the tags;
  C = the description, the metadata's text and number values, camera make, model and lens, audio
  tags, the IPTC caption and creator; D = text found in the media (empty until enrichment). Each
  part is folded (``unaccent``, lower case) and indexed twice, by the ``simple`` configuration (the
  words as written: exact and prefix matches) and by ``english`` (stems: ``cars`` finds ``car``).
- ``dam_search_document(assets)`` computes the row from an asset's row: the one definition, used
  by the refresh (``dam_refresh_search(ids)``, which the unit of work runs before every commit that
  touched assets) and by the back-fill below. Changing what is searched is a migration that
  replaces it and rebuilds the documents.
- Capture time comes from the camera's local time (``media.captured_at``, no zone), read as UTC;
  ``taken_sort`` falls back to the creation time so every document has a place in that order.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_DOCUMENT = """
CREATE FUNCTION dam_search_document(a assets) RETURNS search_documents
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT a.id, a.workspace_id, a.status,
           coalesce(a.media->>'kind', CASE split_part(a.content_type, '/', 1)
                                          WHEN 'image' THEN 'image' WHEN 'video' THEN 'video'
                                          WHEN 'audio' THEN 'audio' ELSE 'other' END),
           a.content_type, a.created_at, taken, coalesce(taken, a.created_at),
           left(dam_fold(coalesce(nullif(a.title, ''), a.filename)), 200),
           left(dam_fold(nullif(a.title, '')), 200),
           dam_fold(a.filename),
           nullif(btrim(a.media->'camera'->>'make'), ''),
           nullif(btrim(a.media->'camera'->>'model'), ''),
           left(dam_fold(nullif(btrim(a.media->'camera'->>'model'), '')), 200),
           (a.media->>'duration')::double precision,
           (a.media->>'width')::integer,
           (a.media->>'height')::integer,
           a.tags,
           a.metadata,
           setweight(dam_words(concat_ws(' ', a.title,
                                         regexp_replace(a.filename, '[._[:space:]-]+', ' ', 'g'))), 'A')
           || setweight(dam_words(array_to_string(a.tags, ' ')), 'B')
           || setweight(dam_words(concat_ws(' ', a.description,
                  (SELECT string_agg(v #>> '{}', ' ')
                     FROM jsonb_path_query(a.metadata,
                          'strict $.** ? (@.type() == "string" || @.type() == "number")') AS v),
                  a.media->'camera'->>'make', a.media->'camera'->>'model', a.media->'camera'->>'lens',
                  a.media->'tags'->>'title', a.media->'tags'->>'artist', a.media->'tags'->>'album',
                  a.media->'tags'->>'album_artist', a.media->'tags'->>'genre',
                  a.media->'tags'->>'composer', a.media->'tags'->>'comment',
                  a.media->'description'->>'caption', a.media->'description'->>'creator')), 'C')
    FROM (SELECT dam_local_time(a.media->>'captured_at') AS taken) AS t
$$
"""


def upgrade() -> None:
    # Both are trusted extensions: a database owner may create them without being a superuser.
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    # unaccent() is STABLE (it reads a dictionary by name); naming the dictionary makes the fold
    # safe to index, as its documentation suggests.
    op.execute(
        """
        CREATE FUNCTION dam_fold(text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
        $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION dam_words(text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT to_tsvector('pg_catalog.simple', dam_fold(coalesce($1, '')))
                  || to_tsvector('pg_catalog.english', dam_fold(coalesce($1, ''))) $$
        """
    )
    # A camera's "2024-05-01T10:20:30" as a moment (read as UTC); NULL for anything else.
    op.execute(
        r"""
        CREATE FUNCTION dam_local_time(text) RETURNS timestamptz
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
        BEGIN
            IF $1 !~ '^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$' THEN
                RETURN NULL;
            END IF;
            RETURN $1::timestamp AT TIME ZONE 'UTC';
        EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TABLE search_documents (
            asset_id     uuid PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
            workspace_id uuid NOT NULL,
            status       text NOT NULL,
            kind         text NOT NULL,
            content_type text NOT NULL,
            created_at   timestamptz NOT NULL,
            taken_at     timestamptz,
            taken_sort   timestamptz NOT NULL,
            name_key     text COLLATE "C" NOT NULL,
            title_key    text COLLATE "C",
            filename_key text COLLATE "C" NOT NULL,
            camera_make  text,
            camera_model text,
            model_key    text COLLATE "C",
            duration     double precision,
            width        integer,
            height       integer,
            tags         text[] NOT NULL,
            metadata     jsonb NOT NULL,
            doc          tsvector NOT NULL
        )
        """
    )
    op.execute(_DOCUMENT)
    op.execute(
        """
        CREATE FUNCTION dam_refresh_search(ids uuid[]) RETURNS void
        LANGUAGE sql VOLATILE AS $$
            INSERT INTO search_documents AS s
            SELECT d.* FROM assets AS a, LATERAL dam_search_document(a) AS d
            WHERE a.id = ANY(ids)
            ON CONFLICT (asset_id) DO UPDATE SET
                workspace_id = EXCLUDED.workspace_id, status = EXCLUDED.status, kind = EXCLUDED.kind,
                content_type = EXCLUDED.content_type, created_at = EXCLUDED.created_at,
                taken_at = EXCLUDED.taken_at, taken_sort = EXCLUDED.taken_sort,
                name_key = EXCLUDED.name_key, title_key = EXCLUDED.title_key,
                filename_key = EXCLUDED.filename_key, camera_make = EXCLUDED.camera_make,
                camera_model = EXCLUDED.camera_model, model_key = EXCLUDED.model_key,
                duration = EXCLUDED.duration, width = EXCLUDED.width, height = EXCLUDED.height,
                tags = EXCLUDED.tags, metadata = EXCLUDED.metadata, doc = EXCLUDED.doc
        $$
        """
    )
    op.execute(
        """
        INSERT INTO search_documents
        SELECT d.* FROM assets AS a, LATERAL dam_search_document(a) AS d
        """
    )
    indexes = {
        "doc": "USING gin (doc)",
        "newest": "(workspace_id, status, created_at DESC, asset_id DESC)",
        "taken": "(workspace_id, status, taken_sort DESC, asset_id DESC)",
        "name": "(workspace_id, status, name_key, asset_id)",
        "filename_trgm": "USING gin (filename_key gin_trgm_ops)",
        "metadata": "USING gin (metadata jsonb_path_ops)",
        "tags": "USING gin (tags)",
        # What the search box suggests: prefixes of titles, filenames and camera models.
        "title_prefix": "(workspace_id, title_key) WHERE title_key IS NOT NULL",
        "filename_prefix": "(workspace_id, filename_key)",
        "model_prefix": "(workspace_id, model_key) WHERE model_key IS NOT NULL",
    }
    for name, definition in indexes.items():
        op.execute(f"CREATE INDEX search_documents_{name}_idx ON search_documents {definition}")
    op.execute('CREATE INDEX tags_folded_idx ON tags (workspace_id, (dam_fold(name) COLLATE "C"))')
    op.execute(
        'CREATE INDEX collections_folded_idx ON collections (workspace_id, (dam_fold(name) COLLATE "C"))'
    )


def downgrade() -> None:
    op.execute("DROP INDEX collections_folded_idx")
    op.execute("DROP INDEX tags_folded_idx")
    op.execute("DROP FUNCTION dam_refresh_search(uuid[])")
    op.execute("DROP FUNCTION dam_search_document(assets)")
    op.execute("DROP TABLE search_documents")
    op.execute("DROP FUNCTION dam_local_time(text)")
    op.execute("DROP FUNCTION dam_words(text)")
    op.execute("DROP FUNCTION dam_fold(text)")
