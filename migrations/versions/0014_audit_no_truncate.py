"""The audit log refuses TRUNCATE as it refuses UPDATE and DELETE: a statement-level trigger (a
TRUNCATE fires no row or statement trigger of UPDATE or DELETE, and needs no DELETE privilege).

A trigger binds every role, but the table's owner may disable it or drop the table: the service runs
as a role that does not own ``audit_log`` (see README, "The database role of the service").

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
