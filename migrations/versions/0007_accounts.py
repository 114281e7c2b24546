"""Accounts and access: workspaces, users, memberships, API keys, sessions, upload tokens; every
asset belongs to a workspace and records who created it.

Secrets are never stored: keys, session ids and upload tokens as SHA-256 digests, passwords as
argon2id hashes. Assets that exist before this revision move into a workspace named ``default``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ROLES = "('viewer', 'contributor', 'editor', 'admin')"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE workspaces (
            id         uuid PRIMARY KEY,
            slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
            name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE users (
            id                  uuid PRIMARY KEY,
            email               text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
            email_key           text NOT NULL UNIQUE,
            password_hash       text,
            operator            boolean NOT NULL DEFAULT false,
            created_at          timestamptz NOT NULL DEFAULT now(),
            password_changed_at timestamptz
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE memberships (
            user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
            role         text NOT NULL CHECK (role IN {ROLES}),
            created_at   timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (user_id, workspace_id)
        )
        """
    )
    op.execute("CREATE INDEX memberships_workspace_idx ON memberships (workspace_id)")
    op.execute(
        f"""
        CREATE TABLE api_keys (
            id           uuid PRIMARY KEY,
            workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
            prefix       text NOT NULL UNIQUE,
            digest       bytea NOT NULL CHECK (length(digest) = 32),
            name         text NOT NULL,
            role         text NOT NULL CHECK (role IN {ROLES}),
            created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
            created_at   timestamptz NOT NULL DEFAULT now(),
            expires_at   timestamptz,
            last_used_at timestamptz,
            revoked_at   timestamptz
        )
        """
    )
    op.execute("CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id, created_at)")
    op.execute(
        """
        CREATE TABLE sessions (
            digest       bytea PRIMARY KEY CHECK (length(digest) = 32),
            user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            created_at   timestamptz NOT NULL DEFAULT now(),
            last_seen_at timestamptz NOT NULL DEFAULT now(),
            expires_at   timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX sessions_user_idx ON sessions (user_id)")
    op.execute("CREATE INDEX sessions_expires_idx ON sessions (expires_at)")
    op.execute(
        """
        CREATE TABLE upload_tokens (
            id            uuid PRIMARY KEY,
            workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
            digest        bytea NOT NULL UNIQUE CHECK (length(digest) = 32),
            content_types text[],
            max_bytes     bigint CHECK (max_bytes > 0),
            created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
            created_by_key uuid REFERENCES api_keys (id) ON DELETE SET NULL,
            created_at    timestamptz NOT NULL DEFAULT now(),
            expires_at    timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX upload_tokens_expires_idx ON upload_tokens (expires_at)")
    op.execute(
        """
        ALTER TABLE assets
            ADD COLUMN workspace_id uuid REFERENCES workspaces (id),
            ADD COLUMN created_by uuid REFERENCES users (id) ON DELETE SET NULL,
            ADD COLUMN created_by_key uuid REFERENCES api_keys (id) ON DELETE SET NULL,
            ADD COLUMN upload_token_id uuid REFERENCES upload_tokens (id) ON DELETE SET NULL,
            ADD COLUMN max_bytes bigint CHECK (max_bytes > 0)
        """
    )
    op.execute(
        """
        INSERT INTO workspaces (id, slug, name)
        SELECT gen_random_uuid(), 'default', 'Default' WHERE EXISTS (SELECT 1 FROM assets)
        ON CONFLICT DO NOTHING
        """
    )
    op.execute("UPDATE assets SET workspace_id = (SELECT id FROM workspaces WHERE slug = 'default')")
    op.execute("ALTER TABLE assets ALTER COLUMN workspace_id SET NOT NULL")
    op.execute("CREATE INDEX assets_workspace_created_idx ON assets (workspace_id, created_at DESC, id DESC)")
    op.execute(
        "CREATE INDEX assets_workspace_sha256_idx ON assets (workspace_id, sha256) WHERE sha256 IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX assets_workspace_sha256_idx")
    op.execute("DROP INDEX assets_workspace_created_idx")
    op.execute(
        """
        ALTER TABLE assets DROP COLUMN max_bytes, DROP COLUMN upload_token_id,
            DROP COLUMN created_by_key, DROP COLUMN created_by, DROP COLUMN workspace_id
        """
    )
    for table in ("upload_tokens", "sessions", "api_keys", "memberships", "users", "workspaces"):
        op.execute(f"DROP TABLE {table}")
