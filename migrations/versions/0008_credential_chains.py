"""A credential is only as good as the one that made it: keys record the key that minted them, so
revoking a key revokes every key and upload token made with it; upload tokens can be revoked.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE api_keys ADD COLUMN created_by_key uuid REFERENCES api_keys (id) ON DELETE SET NULL"
    )
    op.execute(
        "CREATE INDEX api_keys_created_by_key_idx ON api_keys (created_by_key) WHERE created_by_key IS NOT NULL"
    )
    op.execute("ALTER TABLE upload_tokens ADD COLUMN revoked_at timestamptz")
    op.execute(
        "CREATE INDEX upload_tokens_created_by_key_idx ON upload_tokens (created_by_key)"
        " WHERE created_by_key IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX upload_tokens_created_by_key_idx")
    op.execute("ALTER TABLE upload_tokens DROP COLUMN revoked_at")
    op.execute("DROP INDEX api_keys_created_by_key_idx")
    op.execute("ALTER TABLE api_keys DROP COLUMN created_by_key")
