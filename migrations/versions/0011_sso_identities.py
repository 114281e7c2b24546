"""Single sign-on: users linked to an OpenID Connect identity by issuer and subject.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE user_identities (
            issuer     text NOT NULL,
            subject    text NOT NULL,
            user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (issuer, subject)
        )
        """
    )
    op.execute("CREATE INDEX user_identities_user_idx ON user_identities (user_id)")


def downgrade() -> None:
    op.execute("DROP TABLE user_identities")
