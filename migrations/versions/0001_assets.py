"""Assets and their renditions.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE assets (
            id            uuid PRIMARY KEY,
            filename      text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
            content_type  text NOT NULL,
            size          bigint CHECK (size >= 0),
            sha256        text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
            storage_key   text NOT NULL UNIQUE,
            status        text NOT NULL DEFAULT 'pending_upload' CHECK (status IN
                              ('pending_upload', 'uploaded', 'processing', 'ready', 'failed', 'deleted')),
            upload_id     text,
            part_size     bigint CHECK (part_size > 0),
            etag          text,
            stored_size   bigint CHECK (stored_size >= 0),
            error         text,
            metadata      jsonb NOT NULL DEFAULT '{}'::jsonb,
            media         jsonb,
            created_at    timestamptz NOT NULL DEFAULT now(),
            updated_at    timestamptz NOT NULL DEFAULT now(),
            uploaded_at   timestamptz
        )
        """
    )
    # Keyset pagination walks (created_at, id) newest first, optionally within one status.
    op.execute("CREATE INDEX assets_created_id_idx ON assets (created_at DESC, id DESC)")
    op.execute("CREATE INDEX assets_status_created_id_idx ON assets (status, created_at DESC, id DESC)")
    op.execute(
        """
        CREATE TABLE renditions (
            asset_id      uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            kind          text NOT NULL,
            storage_key   text NOT NULL UNIQUE,
            content_type  text NOT NULL,
            width         integer CHECK (width > 0),
            height        integer CHECK (height > 0),
            bytes         bigint CHECK (bytes >= 0),
            created_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (asset_id, kind)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE renditions")
    op.execute("DROP TABLE assets")
