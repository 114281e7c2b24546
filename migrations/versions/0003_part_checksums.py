"""Multipart uploads whose parts carry SHA-256 checksums that storage verifies.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE assets ADD COLUMN part_checksums boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE assets DROP COLUMN part_checksums")
