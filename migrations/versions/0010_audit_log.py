"""The audit log: append-only rows of who did what, to which asset, when, from where, with what
outcome. No foreign keys (a row outlives what it names); a trigger refuses UPDATE and DELETE.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE audit_log (
            id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at           timestamptz NOT NULL DEFAULT clock_timestamp(),
            workspace_id uuid,
            actor        text NOT NULL
                         CHECK (actor IN ('user', 'key', 'upload_token', 'share', 'system', 'anonymous')),
            user_id      uuid,
            key_id       uuid,
            token_id     uuid,
            share_id     uuid,
            action       text NOT NULL,
            asset_id     uuid,
            target_id    uuid,
            address      text,
            outcome      text NOT NULL CHECK (outcome IN ('ok', 'failed')),
            detail       jsonb NOT NULL DEFAULT '{}'
        )
        """
    )
    op.execute("CREATE INDEX audit_workspace_at_idx ON audit_log (workspace_id, at DESC, id DESC)")
    op.execute("CREATE INDEX audit_at_idx ON audit_log (at DESC, id DESC)")
    op.execute("CREATE INDEX audit_asset_idx ON audit_log (asset_id, at DESC) WHERE asset_id IS NOT NULL")
    op.execute(
        """
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit log is append-only';
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
    op.execute("DROP TABLE audit_log")
