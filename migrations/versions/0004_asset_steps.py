"""Processing steps: one row per (asset, step) with its state, attempts, times, error and outputs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE asset_steps (
            asset_id      uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            step          text NOT NULL,
            position      smallint NOT NULL CHECK (position >= 0),
            state         text NOT NULL DEFAULT 'pending'
                              CHECK (state IN ('pending', 'running', 'done', 'failed')),
            attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            started_at    timestamptz,
            finished_at   timestamptz,
            error         text,
            outputs       jsonb NOT NULL DEFAULT '[]'::jsonb,
            updated_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (asset_id, step)
        )
        """
    )
    # The dashboard counts steps by name and state; the reconciler looks for stale running ones.
    op.execute("CREATE INDEX asset_steps_step_state_idx ON asset_steps (step, state)")
    # Assets processed before steps existed: their one job did every step.
    op.execute(
        """
        INSERT INTO asset_steps (asset_id, step, position, state, attempts, finished_at)
        SELECT id, 'probe', 0, 'done', 1, updated_at FROM assets WHERE status = 'ready'
        UNION ALL
        SELECT id, CASE split_part(content_type, '/', 1)
                       WHEN 'image' THEN 'stills' WHEN 'video' THEN 'poster' ELSE 'waveform' END,
               1, 'done', 1, updated_at
        FROM assets WHERE status = 'ready'
        """
    )
    # Assets in flight during the upgrade start again from their first step.
    op.execute(
        """
        INSERT INTO asset_steps (asset_id, step, position, state)
        SELECT id, 'probe', 0, 'pending' FROM assets WHERE status IN ('uploaded', 'processing')
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE asset_steps")
