"""Webhooks: a workspace's endpoints, the events written beside the changes they report, and each
delivery with its attempts.

- ``webhooks``: an endpoint of a workspace (its URL, the event types it takes, its signing secret,
  the previous secret while a rotation's grace lasts); ``failing_since`` counts the days it has
  failed in a row, ``disabled_reason`` says why it was turned off.
- ``webhook_events``: an event's body, written in the transaction of the change it reports, only
  when an enabled endpoint of the workspace takes its type (nothing is written otherwise).
- ``webhook_deliveries``: one per event and endpoint, in the same statement; ``seq`` orders an
  endpoint's deliveries (one at a time, oldest first); ``next_at`` is when it is tried next,
  ``leased_until`` keeps two workers from sending it at once.
- ``webhook_attempts``: each try: when, how long, the answer's status and first bytes, or the error.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE webhooks (
            id              uuid PRIMARY KEY,
            workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
            url             text NOT NULL,
            events          text[] NOT NULL,
            description     text NOT NULL DEFAULT '',
            enabled         boolean NOT NULL DEFAULT true,
            secret          bytea NOT NULL,
            previous_secret bytea,
            previous_until  timestamptz,
            failing_since   timestamptz,
            disabled_reason text,
            created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
            created_at      timestamptz NOT NULL DEFAULT now(),
            updated_at      timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX webhooks_workspace_idx ON webhooks (workspace_id, created_at)")
    op.execute(
        """
        CREATE TABLE webhook_events (
            id           uuid PRIMARY KEY,
            workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
            type         text NOT NULL,
            body         text NOT NULL,
            created_at   timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE webhook_deliveries (
            id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            seq           bigserial NOT NULL,
            webhook_id    uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
            event_id      uuid NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
            state         text NOT NULL DEFAULT 'pending'
                          CHECK (state IN ('pending', 'delivered', 'failed')),
            attempts      integer NOT NULL DEFAULT 0,
            next_at       timestamptz NOT NULL DEFAULT now(),
            leased_until  timestamptz,
            first_at      timestamptz,
            delivered_at  timestamptz,
            error         text,
            created_at    timestamptz NOT NULL DEFAULT now(),
            UNIQUE (webhook_id, event_id)
        )
        """
    )
    op.execute(
        "CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (webhook_id, seq)"
        " WHERE state = 'pending'"
    )
    op.execute("CREATE INDEX webhook_deliveries_listed_idx ON webhook_deliveries (webhook_id, seq DESC)")
    op.execute(
        """
        CREATE TABLE webhook_attempts (
            id          bigserial PRIMARY KEY,
            delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
            at          timestamptz NOT NULL DEFAULT now(),
            duration_ms integer NOT NULL,
            status      integer,
            error       text,
            body        text
        )
        """
    )
    op.execute("CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id)")


def downgrade() -> None:
    op.execute("DROP TABLE webhook_attempts")
    op.execute("DROP TABLE webhook_deliveries")
    op.execute("DROP TABLE webhook_events")
    op.execute("DROP TABLE webhooks")
