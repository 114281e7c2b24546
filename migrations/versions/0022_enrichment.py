"""Enrichment: what the models of the ``enrich`` queue found, each row naming its model.

- ``enrichments``: one row per asset and kind (``ocr``, ``similar``...; ``dam.domain.steps``'s
  ``ENRICH_KINDS``): the model and its version, the ``result`` ``GET /assets/{id}`` shows (OCR's
  lines with their boxes...), the plain ``text`` search reads and the ``flags`` ``has=`` filters by
  (``text``, ``credentials``, ``ai_generated``). A rerun replaces the kind's row.
- ``asset_hashes``: perceptual hashes (64-bit dHash, ``dam.media.enrich.dhash``) of an asset's
  pictures (frame 0: the preview, or a video's poster), compared by Hamming distance. Each hash is
  also split into four 16-bit quarters, each indexed with the workspace: two hashes within distance
  d differ in at most floor(d / 4) bits of one quarter at least (pigeonhole), so a near-duplicate
  search looks up the few thousand quarter values within that radius of the asset's own through
  the indexes and checks the full distance on those candidates only, never on every hash of the
  workspace (``db/enrichment.py``).
- ``embeddings``: one row per asset, model and frame, a vector of ``dims`` numbers. No model that
  ships offline fills it yet (``docs/guides/enrichment.md``); a joint image-text model, once one
  does, adds rows under its own name, never columns or a migration of the rest.
- ``asset_steps`` gains ``model`` and ``model_version``: the step's record names what ran.
- Search: the view ``search_source`` (0019's) becomes ``search_asset_source`` and the new
  ``search_source`` adds what enrichment found: the text at weight D and ``found``, the flags
  (``search_documents.found``); the functions that rebuild a document write the new column. The
  step's finish transaction rebuilds the asset's document (``dam_refresh_search``).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_FOLD = "lower(public.unaccent('public.unaccent'::regdictionary, {}))"  # dam_fold, inline
_TEXT_CAP = 200_000  # characters of found text an asset's document holds (a tsvector's limit is 1 MB)
_COLUMNS = (
    "asset_id", "workspace_id", "status", "kind", "content_type", "created_at", "taken_at", "taken_sort",
    "name_key", "title_key", "filename_key", "camera_make", "make_key", "camera_model", "model_key",
    "duration", "width", "height", "tags", "metadata",
)  # fmt: skip
_SOURCE = f"""
CREATE VIEW search_source AS
SELECT {", ".join(f"v.{c}" for c in _COLUMNS)},
       v.doc || coalesce(setweight(to_tsvector('simple', e.found_text) || to_tsvector('english', e.found_text),
                                   'D'), ''::tsvector) AS doc,
       coalesce(e.flags, '{{}}'::text[]) AS found
FROM search_asset_source AS v
LEFT JOIN LATERAL (
    SELECT left({_FOLD.format("string_agg(n.text, ' ' ORDER BY n.kind)")}, {_TEXT_CAP}) AS found_text,
           (SELECT array_agg(DISTINCT f ORDER BY f) FROM enrichments AS m, unnest(m.flags) AS f
             WHERE m.asset_id = v.asset_id) AS flags
    FROM enrichments AS n WHERE n.asset_id = v.asset_id
) AS e ON true
"""  # noqa: S608 (built of this module's constants)
_SET = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*_COLUMNS[1:], "doc", "found"))
_UPSERT = f"""
INSERT INTO search_documents AS s SELECT v.* FROM search_source AS v
WHERE {{where}} AND v.status <> 'pending_upload'
ON CONFLICT (asset_id) DO UPDATE SET {_SET}
"""  # noqa: S608
_OLD_SET = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*_COLUMNS[1:], "doc"))
_OLD_UPSERT = _UPSERT.replace(_SET, _OLD_SET)


def _functions(upsert: str) -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION dam_refresh_search(ids uuid[]) RETURNS void
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            {upsert.format(where="v.asset_id = ANY(ids)")};
        END $$
        """
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION dam_search_document_changed() RETURNS trigger
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            {upsert.format(where="v.asset_id = NEW.id")};
            RETURN NULL;
        END $$
        """
    )


def upgrade() -> None:
    op.execute("ALTER TABLE asset_steps ADD COLUMN model text, ADD COLUMN model_version text")
    op.execute(
        """
        CREATE TABLE enrichments (
            asset_id      uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            kind          text NOT NULL,
            model         text NOT NULL,
            model_version text NOT NULL,
            result        jsonb NOT NULL,
            text          text NOT NULL DEFAULT '',
            flags         text[] NOT NULL DEFAULT '{}',
            updated_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (asset_id, kind)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE asset_hashes (
            asset_id     uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            workspace_id uuid NOT NULL,
            model        text NOT NULL,
            frame        smallint NOT NULL CHECK (frame >= 0),
            hash         bigint NOT NULL,
            q0           smallint NOT NULL,
            q1           smallint NOT NULL,
            q2           smallint NOT NULL,
            q3           smallint NOT NULL,
            PRIMARY KEY (asset_id, model, frame)
        )
        """
    )
    for quarter in range(4):
        op.execute(f"CREATE INDEX asset_hashes_q{quarter}_idx ON asset_hashes (workspace_id, q{quarter})")
    op.execute(
        """
        CREATE TABLE embeddings (
            asset_id     uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            workspace_id uuid NOT NULL,
            model        text NOT NULL,
            frame        smallint NOT NULL DEFAULT 0 CHECK (frame >= 0),
            dims         smallint NOT NULL CHECK (dims > 0),
            vector       real[] NOT NULL CHECK (cardinality(vector) = dims),
            created_at   timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (asset_id, model, frame)
        )
        """
    )
    op.execute("CREATE INDEX embeddings_model_idx ON embeddings (workspace_id, model)")
    op.execute("ALTER TABLE search_documents ADD COLUMN found text[] NOT NULL DEFAULT '{}'")
    op.execute("CREATE INDEX search_documents_found_idx ON search_documents USING gin (found)")
    op.execute("ALTER VIEW search_source RENAME TO search_asset_source")
    op.execute(_SOURCE)
    _functions(_UPSERT)


def downgrade() -> None:
    op.execute("DROP VIEW search_source")
    op.execute("ALTER VIEW search_asset_source RENAME TO search_source")
    _functions(_OLD_UPSERT)
    op.execute("DROP INDEX search_documents_found_idx")
    op.execute("ALTER TABLE search_documents DROP COLUMN found")
    op.execute("DROP TABLE embeddings")
    op.execute("DROP TABLE asset_hashes")
    op.execute("DROP TABLE enrichments")
    op.execute("ALTER TABLE asset_steps DROP COLUMN model, DROP COLUMN model_version")
