"""Steps ride out outages: who runs an attempt, how often it was retried after a transient fault,
the last such fault and since when the current run of retries lasts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE asset_steps
            ADD COLUMN runner         text,
            ADD COLUMN retries        integer NOT NULL DEFAULT 0 CHECK (retries >= 0),
            ADD COLUMN last_fault     text,
            ADD COLUMN retrying_since timestamptz
        """
    )


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE asset_steps
            DROP COLUMN runner, DROP COLUMN retries, DROP COLUMN last_fault, DROP COLUMN retrying_since
        """
    )
