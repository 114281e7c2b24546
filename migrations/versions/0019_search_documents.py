"""Search: one search document per asset, rebuilt in the transaction of every change that feeds it.

The document is its own row (``search_documents``), not columns of ``assets``: it holds, besides
the weighted text, every value a search filters, sorts or facets by, copied from the asset, so a
search reads one table through its indexes and joins ``assets`` only for the page it answers.

- ``doc``: weight A = the title and the filename split on ``._-`` and spaces; B = the tags;
  C = the description, the metadata's text and number values, camera make, model and lens, audio
  tags, the IPTC caption and creator; D = text found in the media (empty until enrichment). Each
  part is folded (``unaccent``, lower case) and indexed twice, by the ``simple`` configuration (the
  words as written: exact and prefix matches) and by ``english`` (stems: ``cars`` finds ``car``).
- The view ``search_source`` computes the documents from the assets' rows: the one definition,
  used by the triggers on ``assets`` (an insert, and an update of a column a document is made of,
  rebuild the asset's document in the same statement), by ``dam_refresh_search(ids)`` (for a
  caller that changed what feeds a document elsewhere) and by the back-fill below. Changing what is
  searched is a migration that replaces the view and rebuilds the documents.
- Why triggers rather than the unit of work's refresh hook: the document then costs no round trip
  and no writer can forget it, whichever service, the reconciler or a migration changes an asset.
  The hook stays for rows derived from more than one table.
- A pending upload has no document: an asset is searchable once its bytes have arrived (``GET
  /assets?status=pending_upload`` lists the others). Creating an asset, the hottest write, then
  costs nothing here (a document and its eleven index entries cost ``POST /assets`` ~25% at 64
  connections, measured); the upload's completion writes it.
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

# The one definition of a search document: a row of ``search_documents`` from a row of ``assets``.
_FOLD = "lower(public.unaccent('public.unaccent'::regdictionary, {}))"  # dam_fold, inline: 5x faster
# Weight C: what describes the asset besides its name and tags.
_DESCRIBED = """concat_ws(' ', a.description,
              (SELECT string_agg(v #>> '{}', ' ')
                 FROM jsonb_path_query(a.metadata,
                      'strict $.** ? (@.type() == "string" || @.type() == "number")') AS v),
              a.media->'camera'->>'make', a.media->'camera'->>'model', a.media->'camera'->>'lens',
              a.media->'tags'->>'title', a.media->'tags'->>'artist', a.media->'tags'->>'album',
              a.media->'tags'->>'album_artist', a.media->'tags'->>'genre',
              a.media->'tags'->>'composer', a.media->'tags'->>'comment',
              a.media->'description'->>'caption', a.media->'description'->>'creator')"""
_SOURCE = f"""
CREATE VIEW search_source AS
SELECT a.id AS asset_id, a.workspace_id, a.status,
       coalesce(a.media->>'kind', CASE split_part(a.content_type, '/', 1)
                                      WHEN 'image' THEN 'image' WHEN 'video' THEN 'video'
                                      WHEN 'audio' THEN 'audio' ELSE 'other' END) AS kind,
       a.content_type, a.created_at, t.taken AS taken_at, coalesce(t.taken, a.created_at) AS taken_sort,
       left({_FOLD.format("coalesce(nullif(a.title, ''), a.filename)")}, 200) AS name_key,
       left({_FOLD.format("nullif(a.title, '')")}, 200) AS title_key,
       {_FOLD.format("a.filename")} AS filename_key,
       nullif(btrim(a.media->'camera'->>'make'), '') AS camera_make,
       left({_FOLD.format("nullif(btrim(a.media->'camera'->>'make'), '')")}, 200) AS make_key,
       nullif(btrim(a.media->'camera'->>'model'), '') AS camera_model,
       left({_FOLD.format("nullif(btrim(a.media->'camera'->>'model'), '')")}, 200) AS model_key,
       (a.media->>'duration')::double precision AS duration,
       (a.media->>'width')::integer AS width,
       (a.media->>'height')::integer AS height,
       a.tags,
       a.metadata,
       setweight(to_tsvector('simple', f.named) || to_tsvector('english', f.named), 'A')
       || setweight(to_tsvector('simple', f.tagged) || to_tsvector('english', f.tagged), 'B')
       || setweight(to_tsvector('simple', f.described) || to_tsvector('english', f.described), 'C') AS doc
FROM assets AS a,
     LATERAL (SELECT dam_local_time(a.media->>'captured_at') AS taken) AS t,
     LATERAL (SELECT
         {_FOLD.format("concat_ws(' ', a.title, regexp_replace(a.filename, '[._[:space:]-]+', ' ', 'g'))")} AS named,
         {_FOLD.format("array_to_string(a.tags, ' ')")} AS tagged,
         {_FOLD.format(_DESCRIBED)} AS described
     ) AS f
"""  # noqa: S608 (built of this module's constants)

_UPSERT = """
INSERT INTO search_documents AS s SELECT v.* FROM search_source AS v
WHERE {where} AND v.status <> 'pending_upload'
ON CONFLICT (asset_id) DO UPDATE SET
    workspace_id = EXCLUDED.workspace_id, status = EXCLUDED.status, kind = EXCLUDED.kind,
    content_type = EXCLUDED.content_type, created_at = EXCLUDED.created_at,
    taken_at = EXCLUDED.taken_at, taken_sort = EXCLUDED.taken_sort,
    name_key = EXCLUDED.name_key, title_key = EXCLUDED.title_key,
    filename_key = EXCLUDED.filename_key, camera_make = EXCLUDED.camera_make, make_key = EXCLUDED.make_key,
    camera_model = EXCLUDED.camera_model, model_key = EXCLUDED.model_key,
    duration = EXCLUDED.duration, width = EXCLUDED.width, height = EXCLUDED.height,
    tags = EXCLUDED.tags, metadata = EXCLUDED.metadata, doc = EXCLUDED.doc
"""
# The columns of an asset a document is made of: a change of any other (updated_at, a step's
# progress, the upload's bookkeeping) leaves the document alone.
_FED_BY = (
    "workspace_id", "status", "filename", "content_type", "created_at", "title", "description", "tags",
    "metadata", "media",
)  # fmt: skip


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
    # A camera's "2024-05-01T10:20:30" as a moment (read as UTC); NULL for anything that is not a
    # real date and time (checked, never raised: the refresh must not fail on a camera's clock).
    op.execute(
        r"""
        CREATE FUNCTION dam_local_time(t text) RETURNS timestamptz
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT CASE
                WHEN t ~ '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?$'
                 AND substr(t, 9, 2)::int <= extract(day FROM (substr(t, 1, 7) || '-01')::date
                                                         + interval '1 month' - interval '1 day')
                THEN t::timestamp AT TIME ZONE 'UTC'
            END
        $$
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
            make_key     text COLLATE "C",
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
    op.execute(_SOURCE)
    # Every change of an asset that feeds its document rebuilds it in the same statement, so no
    # reader ever sees them disagree and no caller can forget to (nor pays a round trip for it).
    op.execute(
        f"""
        CREATE FUNCTION dam_refresh_search(ids uuid[]) RETURNS void
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            {_UPSERT.format(where="v.asset_id = ANY(ids)")};
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION dam_search_document_changed() RETURNS trigger
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            {_UPSERT.format(where="v.asset_id = NEW.id")};
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER assets_search_inserted AFTER INSERT ON assets FOR EACH ROW"
        " WHEN (NEW.status <> 'pending_upload')"
        " EXECUTE FUNCTION dam_search_document_changed()"
    )
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _FED_BY)
    op.execute(
        f"CREATE TRIGGER assets_search_changed AFTER UPDATE OF {', '.join(_FED_BY)} ON assets FOR EACH ROW"
        f" WHEN (NEW.status <> 'pending_upload' AND ({changed})) EXECUTE FUNCTION dam_search_document_changed()"
    )
    op.execute(
        "INSERT INTO search_documents SELECT v.* FROM search_source AS v WHERE v.status <> 'pending_upload'"
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
    op.execute("DROP TRIGGER assets_search_changed ON assets")
    op.execute("DROP TRIGGER assets_search_inserted ON assets")
    op.execute("DROP FUNCTION dam_search_document_changed()")
    op.execute("DROP FUNCTION dam_refresh_search(uuid[])")
    op.execute("DROP VIEW search_source")
    op.execute("DROP TABLE search_documents")
    op.execute("DROP FUNCTION dam_local_time(text)")
    op.execute("DROP FUNCTION dam_fold(text)")
