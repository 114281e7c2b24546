"""Invitations: a workspace admin invites an address; only whoever holds the link creates the account
(unverified), and an existing account joins only when it accepts itself.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ROLES = "('viewer', 'contributor', 'editor', 'admin')"


def upgrade() -> None:
    # Accounts made before invitations were made by an operator (dam admin) or single sign-on.
    op.execute("ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT true")
    op.execute(
        f"""
        CREATE TABLE invitations (
            id             uuid PRIMARY KEY,
            workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
            email          text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
            email_key      text NOT NULL,
            role           text NOT NULL CHECK (role IN {ROLES}),
            digest         bytea NOT NULL UNIQUE,
            created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
            created_by_key uuid REFERENCES api_keys (id) ON DELETE SET NULL,
            created_at     timestamptz NOT NULL DEFAULT now(),
            expires_at     timestamptz NOT NULL,
            accepted_at    timestamptz,
            accepted_by    uuid REFERENCES users (id) ON DELETE SET NULL,
            revoked_at     timestamptz
        )
        """
    )
    op.execute(
        """CREATE INDEX invitations_pending_idx ON invitations (workspace_id, created_at)
           WHERE accepted_at IS NULL AND revoked_at IS NULL"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE invitations")
    op.execute("ALTER TABLE users DROP COLUMN email_verified")
