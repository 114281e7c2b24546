"""Find assets by their declared SHA-256 (resumable bulk uploads).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX assets_sha256_idx ON assets (sha256) WHERE sha256 IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX assets_sha256_idx")
