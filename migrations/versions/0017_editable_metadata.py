"""Editable metadata and tags: assets gain a title, a description, their tags and a revision; tags
are kept per workspace with how many assets carry each.

Tags are stored twice, on purpose (the choice is written up in ``docs/concepts/metadata.md``):

- on the asset, ``assets.tags``: the names as the workspace writes them, in the asset's order, in a
  ``text[]`` with a GIN index, so reading an asset is one row and a tag filter (all of, none of) is
  an array containment on one index, at any number of assets;
- per workspace, ``tags``: one row per tag (matched by its case-folded ``key``, named as first
  written) with the number of assets that carry it, kept in the transaction of every change, so
  ``GET /tags`` (most used first, by prefix) reads a few rows of an index instead of counting a
  million arrays.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE assets
            ADD COLUMN title       text CHECK (char_length(title) <= 500),
            ADD COLUMN description text CHECK (char_length(description) <= 10000),
            ADD COLUMN tags        text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 100),
            ADD COLUMN revision    bigint NOT NULL DEFAULT 1 CHECK (revision >= 1)
        """
    )
    op.execute("CREATE INDEX assets_tags_idx ON assets USING gin (tags)")
    op.execute(
        """
        CREATE TABLE tags (
            workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
            key          text COLLATE "C" NOT NULL,
            name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
            asset_count  integer NOT NULL DEFAULT 0 CHECK (asset_count >= 0),
            created_at   timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (workspace_id, key)
        )
        """
    )
    # Most used first (GET /tags without a prefix stops after its page); a prefix uses the key.
    op.execute("CREATE INDEX tags_most_used_idx ON tags (workspace_id, asset_count DESC, key)")


def downgrade() -> None:
    op.execute("DROP TABLE tags")
    op.execute("DROP INDEX assets_tags_idx")
    for column in ("revision", "tags", "description", "title"):
        op.execute(f"ALTER TABLE assets DROP COLUMN {column}")
