"""Enrichment: what the models of the ``enrich`` queue found, each row naming its model.

- ``enrichments``: one row per asset and kind (``ocr``, ``similar``...; ``dam.domain.steps``'s
  ``ENRICH_KINDS``): the model and its version, the ``result`` ``GET /assets/{id}`` shows (OCR's
  lines with their boxes...), the plain ``text`` search reads and the ``flags`` ``has=`` filters by
  (``text``, ``credentials``, ``ai_generated``). A rerun replaces the kind's row.
- ``model_tags``: the words the ``objects`` and ``scenes`` models tag an asset with, each with its
  confidence and model, apart from people's tags (``assets.tags``); only those at or above
  ``DAM_ENRICH_MIN_CONFIDENCE`` are kept. ``tag_decisions`` remembers a person's answer to a model
  tag: ``accepted`` (it became one of the asset's tags) or ``rejected`` (hidden, and kept hidden
  when the model runs again).
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
  ``search_source`` adds what enrichment found: the words of the model tags not rejected at weight B
  (each word once, however many tags and models name it), the text at weight D, ``found`` (the
  flags) and ``model_tags`` (the model tags' keys, for ``source=model``). People's tags are added at
  weight B a second time, so that of two assets tagged with a word, the one a person tagged ranks
  above the one a model tagged (a lexeme's rank grows with its positions). The functions that rebuild a document write the new columns; the step's finish
  transaction rebuilds the asset's document (``dam_refresh_search``).

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
       v.doc
       || setweight(to_tsvector('simple', p.tagged) || to_tsvector('english', p.tagged), 'B')
       || coalesce(setweight(to_tsvector('simple', m.tagged) || to_tsvector('english', m.tagged), 'B'),
                   ''::tsvector)
       || coalesce(setweight(to_tsvector('simple', e.found_text) || to_tsvector('english', e.found_text),
                             'D'), ''::tsvector) AS doc,
       coalesce(e.flags, '{{}}'::text[]) AS found,
       coalesce(m.keys, '{{}}'::text[]) AS model_tags
FROM search_asset_source AS v
CROSS JOIN LATERAL (SELECT {_FOLD.format("array_to_string(v.tags, ' ')")} AS tagged) AS p
LEFT JOIN LATERAL (
    SELECT (SELECT string_agg(DISTINCT w, ' ')
              FROM regexp_split_to_table({_FOLD.format("string_agg(t.name, ' ')")}, '[[:space:]]+') AS w) AS tagged,
           array_agg(DISTINCT t.key ORDER BY t.key) AS keys
    FROM model_tags AS t
    WHERE t.asset_id = v.asset_id
      AND NOT EXISTS (SELECT FROM tag_decisions AS x
                      WHERE x.asset_id = t.asset_id AND x.key = t.key AND x.decision = 'rejected')
) AS m ON true
LEFT JOIN LATERAL (
    SELECT left({_FOLD.format("string_agg(n.text, ' ' ORDER BY n.kind)")}, {_TEXT_CAP}) AS found_text,
           (SELECT array_agg(DISTINCT f ORDER BY f) FROM enrichments AS m, unnest(m.flags) AS f
             WHERE m.asset_id = v.asset_id) AS flags
    FROM enrichments AS n WHERE n.asset_id = v.asset_id
) AS e ON true
"""  # noqa: S608 (built of this module's constants)
_SET = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*_COLUMNS[1:], "doc", "found", "model_tags"))
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
        CREATE TABLE model_tags (
            asset_id     uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            workspace_id uuid NOT NULL,
            kind         text NOT NULL,
            model        text NOT NULL,
            name         text NOT NULL,
            key          text COLLATE "C" NOT NULL,
            confidence   real NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
            PRIMARY KEY (asset_id, kind, key)
        )
        """
    )
    op.execute("CREATE INDEX model_tags_workspace_idx ON model_tags (workspace_id, key)")
    op.execute(
        """
        CREATE TABLE tag_decisions (
            asset_id   uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            key        text COLLATE "C" NOT NULL,
            decision   text NOT NULL CHECK (decision IN ('accepted', 'rejected')),
            decided_by uuid,
            decided_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (asset_id, key)
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
        # Covering: a lookup checks each candidate's distance from the index alone.
        op.execute(
            f"CREATE INDEX asset_hashes_q{quarter}_idx ON asset_hashes (workspace_id, q{quarter})"
            " INCLUDE (model, hash, asset_id)"
        )
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
    op.execute("ALTER TABLE search_documents ADD COLUMN model_tags text[] NOT NULL DEFAULT '{}'")
    op.execute("CREATE INDEX search_documents_found_idx ON search_documents USING gin (found)")
    op.execute("CREATE INDEX search_documents_model_tags_idx ON search_documents USING gin (model_tags)")
    op.execute("ALTER VIEW search_source RENAME TO search_asset_source")
    op.execute(_SOURCE)
    _functions(_UPSERT)
    # People's tags now weigh twice at B (see above): every document is rebuilt.
    op.execute(_UPSERT.format(where="TRUE"))


def downgrade() -> None:
    op.execute("DROP VIEW search_source")
    op.execute("ALTER VIEW search_asset_source RENAME TO search_source")
    op.execute("DROP INDEX search_documents_model_tags_idx")
    op.execute("DROP INDEX search_documents_found_idx")
    op.execute("ALTER TABLE search_documents DROP COLUMN model_tags, DROP COLUMN found")
    _functions(_OLD_UPSERT)
    op.execute(_OLD_UPSERT.format(where="TRUE"))
    op.execute("DROP TABLE embeddings")
    op.execute("DROP TABLE asset_hashes")
    op.execute("DROP TABLE tag_decisions")
    op.execute("DROP TABLE model_tags")
    op.execute("DROP TABLE enrichments")
    op.execute("ALTER TABLE asset_steps DROP COLUMN model, DROP COLUMN model_version")
