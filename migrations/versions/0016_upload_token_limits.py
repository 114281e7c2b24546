"""Upload tokens that hold their limits: a cap on the files a token creates and on the bytes its
uploads store, with what it has used so far; tokens listed per workspace; form uploads marked with
when their form expires, for the one sweep that completes them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0016"
# The migrations 0013 to 0015 of the same issue land first; at merge this names the last of them.
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE upload_tokens
            ADD COLUMN max_files       integer CHECK (max_files > 0),
            ADD COLUMN max_total_bytes bigint CHECK (max_total_bytes > 0),
            ADD COLUMN files_used      integer NOT NULL DEFAULT 0 CHECK (files_used >= 0),
            ADD COLUMN bytes_used      bigint NOT NULL DEFAULT 0 CHECK (bytes_used >= 0)
        """
    )
    op.execute(
        "CREATE INDEX upload_tokens_workspace_created_idx ON upload_tokens (workspace_id, created_at DESC, id DESC)"
    )
    op.execute("ALTER TABLE assets ADD COLUMN form_expires_at timestamptz")
    op.execute(
        "CREATE INDEX assets_pending_forms_idx ON assets (form_expires_at)"
        " WHERE status = 'pending_upload' AND form_expires_at IS NOT NULL"
    )
    op.execute(
        "CREATE INDEX assets_pending_token_idx ON assets (upload_token_id)"
        " WHERE status = 'pending_upload' AND upload_token_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX assets_pending_token_idx")
    op.execute("DROP INDEX assets_pending_forms_idx")
    op.execute("ALTER TABLE assets DROP COLUMN form_expires_at")
    op.execute("DROP INDEX upload_tokens_workspace_created_idx")
    for column in ("bytes_used", "files_used", "max_total_bytes", "max_files"):
        op.execute(f"ALTER TABLE upload_tokens DROP COLUMN {column}")
