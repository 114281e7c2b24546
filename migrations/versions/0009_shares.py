"""Share links: a token (stored as its SHA-256) that reaches one asset, read-only, until it expires
or is revoked; an optional argon2id password, unlocked once per visitor (``share_visits``); a
workspace's own cap on their lifetime.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE workspaces ADD COLUMN share_max_ttl integer CHECK (share_max_ttl > 0)")
    op.execute(
        """
        CREATE TABLE shares (
            id             uuid PRIMARY KEY,
            workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
            asset_id       uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            digest         bytea NOT NULL UNIQUE CHECK (length(digest) = 32),
            password_hash  text,
            download       boolean NOT NULL,
            show_metadata  boolean NOT NULL,
            created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
            created_by_key uuid REFERENCES api_keys (id) ON DELETE SET NULL,
            created_at     timestamptz NOT NULL DEFAULT now(),
            expires_at     timestamptz NOT NULL,
            revoked_at     timestamptz,
            last_used_at   timestamptz,
            uses           bigint NOT NULL DEFAULT 0
        )
        """
    )
    op.execute("CREATE INDEX shares_asset_idx ON shares (asset_id, created_at DESC)")
    op.execute(
        """
        CREATE TABLE share_visits (
            digest     bytea PRIMARY KEY CHECK (length(digest) = 32),
            share_id   uuid NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX share_visits_share_idx ON share_visits (share_id)")


def downgrade() -> None:
    op.execute("DROP TABLE share_visits")
    op.execute("DROP TABLE shares")
    op.execute("ALTER TABLE workspaces DROP COLUMN share_max_ttl")
