"""Jobs that could not be queued because Redis was down: kept here until a drainer queues them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE job_outbox (
            asset_id   uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
            queue      text NOT NULL,
            rerun      text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (asset_id, queue, rerun)
        )
        """
    )
    op.execute("CREATE INDEX job_outbox_created_idx ON job_outbox (created_at)")


def downgrade() -> None:
    op.execute("DROP TABLE job_outbox")
