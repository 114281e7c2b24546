"""Thumbnail placeholders: the ThumbHash of each asset's thumbnail (``dam.media.thumbhash``), which
lists show (``thumbhash`` in an asset summary, base64) until the thumbnail loads.

Stored on the asset's row, ``assets.thumbhash`` (NULL: no thumbnail yet, or processed before this
release), not on the thumbnail's ``renditions`` row: every list (``GET /assets``, search hits, a
collection's members) already reads the assets' rows, so the hash comes with them and costs no
query and no join, and a step records it as one of its typed outputs (``Placeholder``) in the same
finish transaction that records the thumbnail, so no reader sees one without the other.
Reprocessing replaces it with the new thumbnail's. About 25 bytes; the ``CHECK`` only bounds it.
The column is nullable without a default: adding it rewrites no row.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-10
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE assets ADD COLUMN thumbhash bytea CHECK (octet_length(thumbhash) BETWEEN 5 AND 64)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE assets DROP COLUMN thumbhash")
