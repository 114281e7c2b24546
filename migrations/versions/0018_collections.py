"""Collections: nested (a parent in the same workspace, never a cycle), plain ones with ordered
members (sparse positions: adding at the end and moving before a member rarely renumber), smart ones
with a stored query and no members of their own; share links of a collection.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE collections (
            id             uuid PRIMARY KEY,
            workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
            name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            description    text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
            parent_id      uuid REFERENCES collections (id) ON DELETE CASCADE,
            query          text CHECK (length(query) <= 2000),
            created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
            created_by_key uuid REFERENCES api_keys (id) ON DELETE SET NULL,
            created_at     timestamptz NOT NULL DEFAULT now(),
            updated_at     timestamptz NOT NULL DEFAULT now(),
            CHECK (parent_id IS DISTINCT FROM id)
        )
        """
    )
    op.execute("CREATE INDEX collections_workspace_idx ON collections (workspace_id, created_at, id)")
    op.execute("CREATE INDEX collections_parent_idx ON collections (parent_id) WHERE parent_id IS NOT NULL")
    op.execute(
        """
        CREATE TABLE collection_assets (
            collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
            asset_id      uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            position      bigint NOT NULL,
            added_at      timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (collection_id, asset_id)
        )
        """
    )
    op.execute(
        "CREATE INDEX collection_assets_order_idx ON collection_assets (collection_id, position, asset_id)"
    )
    op.execute("CREATE INDEX collection_assets_asset_idx ON collection_assets (asset_id)")
    # A share link reaches one asset or one collection.
    op.execute("ALTER TABLE shares ALTER COLUMN asset_id DROP NOT NULL")
    op.execute(
        "ALTER TABLE shares ADD COLUMN collection_id uuid REFERENCES collections (id) ON DELETE CASCADE"
    )
    op.execute(
        "ALTER TABLE shares ADD CONSTRAINT shares_one_target CHECK ((asset_id IS NULL) <> (collection_id IS NULL))"
    )
    op.execute(
        "CREATE INDEX shares_collection_idx ON shares (collection_id, created_at DESC) WHERE collection_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DELETE FROM shares WHERE collection_id IS NOT NULL")
    op.execute("DROP INDEX shares_collection_idx")
    op.execute("ALTER TABLE shares DROP CONSTRAINT shares_one_target")
    op.execute("ALTER TABLE shares DROP COLUMN collection_id")
    op.execute("ALTER TABLE shares ALTER COLUMN asset_id SET NOT NULL")
    op.execute("DROP TABLE collection_assets")
    op.execute("DROP TABLE collections")
