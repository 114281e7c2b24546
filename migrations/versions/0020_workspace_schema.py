"""A metadata schema per workspace: typed fields that assets' ``metadata`` is validated against on
write (``GET``/``PUT /workspace/schema``; the rules are in ``dam.domain.schema``).

Stored as one ``jsonb`` column on ``workspaces``, ``metadata_schema`` (NULL: the workspace has no
schema), not as a table of fields: the schema is read whole by every validated write and by every
search that filters or facets on a field, and written whole by ``PUT``, so one small row read by its
primary key is the cheapest shape; a table would cost a multi-row read (or an aggregate) on each of
those paths and buy nothing, since no query ever looks for a single field across workspaces. The
service checks the document before it stores it (field keys, types, options); the ``CHECK`` here
only keeps it an object of the expected top-level shape. Assets are never rewritten when a schema
changes: values stay where they are, in ``assets.metadata``.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-09
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE workspaces ADD COLUMN metadata_schema jsonb CHECK (
            metadata_schema IS NULL
            OR (jsonb_typeof(metadata_schema) = 'object'
                AND jsonb_typeof(metadata_schema -> 'fields') = 'array'
                AND jsonb_typeof(metadata_schema -> 'strict') = 'boolean')
        )
        """
    )


def downgrade() -> None:
    op.execute("ALTER TABLE workspaces DROP COLUMN metadata_schema")
