"""The trash: a deleted asset keeps its bytes for ``DAM_TRASH_DAYS`` and can be restored.

- ``assets.status`` gains ``trashed``. A trashed asset is left out of listings, search, collections,
  share links and streams (``dam.domain.status.HIDDEN``); ``GET /assets/{id}`` and ``GET /trash``
  still show it. ``trashed_at``, ``trashed_by`` (the user, or whose key it was; null for the system) and
  ``purge_at`` say when, by whom and until when; ``trashed_from`` is the status a restore brings it
  back to.
- Two partial indexes: the workspace's trash newest first (``GET /trash``), and the reconciler's
  purge pass (what is due).
- The asset's stream generation is bumped when it goes to the trash (0015's trigger fired on
  ``deleted`` only): its stream tokens end then, not at the purge.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TRASHED = "'trashed', "
_STATUSES = "'pending_upload', 'uploaded', 'processing', 'ready', 'failed', {}'deleted'"
_GENERATION = "CREATE TRIGGER assets_stream_generation AFTER UPDATE OF status ON assets FOR EACH ROW WHEN ({})" \
    " EXECUTE FUNCTION stream_generation_of_row('a')"  # fmt: skip


def upgrade() -> None:
    op.execute("ALTER TABLE assets DROP CONSTRAINT assets_status_check")
    op.execute(
        "ALTER TABLE assets ADD CONSTRAINT assets_status_check"
        f" CHECK (status IN ({_STATUSES.format(TRASHED)}))"
    )
    op.execute(
        """ALTER TABLE assets
               ADD COLUMN trashed_at   timestamptz,
               ADD COLUMN trashed_by   uuid REFERENCES users (id) ON DELETE SET NULL,
               ADD COLUMN purge_at     timestamptz,
               ADD COLUMN trashed_from text"""
    )
    op.execute(
        "CREATE INDEX assets_trash_idx ON assets (workspace_id, trashed_at DESC, id DESC)"
        " WHERE status = 'trashed'"
    )
    op.execute("CREATE INDEX assets_purge_idx ON assets (purge_at) WHERE status = 'trashed'")
    op.execute("DROP TRIGGER assets_stream_generation ON assets")
    op.execute(
        _GENERATION.format(
            "NEW.status IN ('trashed', 'deleted') AND OLD.status NOT IN ('trashed', 'deleted')"
        )
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER assets_stream_generation ON assets")
    op.execute(_GENERATION.format("NEW.status = 'deleted' AND OLD.status <> 'deleted'"))
    # Trashed assets become deleted ones (their bytes are left for the operator to remove).
    op.execute("UPDATE assets SET status = 'deleted' WHERE status = 'trashed'")
    op.execute("DROP INDEX assets_purge_idx")
    op.execute("DROP INDEX assets_trash_idx")
    op.execute(
        "ALTER TABLE assets DROP COLUMN trashed_at, DROP COLUMN trashed_by, DROP COLUMN purge_at,"
        " DROP COLUMN trashed_from"
    )
    op.execute("ALTER TABLE assets DROP CONSTRAINT assets_status_check")
    op.execute(
        f"ALTER TABLE assets ADD CONSTRAINT assets_status_check CHECK (status IN ({_STATUSES.format('')}))"
    )
