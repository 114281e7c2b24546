"""Adaptive streams: each asset's ladder (chunks done, renditions and their segments, manifests),
its storyboard, and a progress figure on every step.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE asset_steps ADD COLUMN progress real CHECK (progress BETWEEN 0 AND 1)")
    op.execute(
        """
        CREATE TABLE asset_streams (
            asset_id       uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            recipe         text NOT NULL,
            run_id         uuid NOT NULL,
            chunk_seconds  integer NOT NULL CHECK (chunk_seconds > 0),
            chunk_count    integer NOT NULL CHECK (chunk_count > 0),
            chunks_done    integer NOT NULL DEFAULT 0 CHECK (chunks_done >= 0),
            renditions     jsonb NOT NULL DEFAULT '[]'::jsonb,
            manifests      jsonb,
            storyboard     jsonb,
            created_at     timestamptz NOT NULL DEFAULT now(),
            updated_at     timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (asset_id, recipe)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE asset_streams")
    op.execute("ALTER TABLE asset_steps DROP COLUMN progress")
