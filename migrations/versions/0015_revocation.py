"""Revocation that reaches everything: stream-token generations and the indexes that revoke a key's
or a member's share links.

``stream_generations`` holds a generation per subject: ``a<asset>``, ``s<share link>``, ``k<API
key>``, ``t<upload token>``, ``u<user>`` (ids in hex, as stream tokens name their viewer). A stream
token's MAC covers its asset's and its viewer's generations, so bumping either ends every token
issued before. Triggers bump them in the transaction of the change itself, whichever code makes it:
a share link, key or upload token revoked, an asset deleted, a member removed or given a lower role
(then their keys' and upload tokens' generations too). Each bump is published with ``pg_notify`` on
``dam_stream_generations`` (``<subject>:<generation>``), delivered at commit: the API processes keep
the generations in memory and forget a bumped one as the notification arrives. A missing row is
generation 0.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_REVOKED = "OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL"
# (table, trigger, subject prefix, when)
_ROW_TRIGGERS = (
    ("shares", "shares_stream_generation", "s", f"UPDATE OF revoked_at ON shares FOR EACH ROW WHEN ({_REVOKED})"),
    ("api_keys", "api_keys_stream_generation", "k",
     f"UPDATE OF revoked_at ON api_keys FOR EACH ROW WHEN ({_REVOKED})"),
    ("upload_tokens", "upload_tokens_stream_generation", "t",
     f"UPDATE OF revoked_at ON upload_tokens FOR EACH ROW WHEN ({_REVOKED})"),
    ("assets", "assets_stream_generation", "a",
     "UPDATE OF status ON assets FOR EACH ROW WHEN (NEW.status = 'deleted' AND OLD.status <> 'deleted')"),
)  # fmt: skip
_RANK = "array_position(ARRAY['viewer', 'contributor', 'editor', 'admin'], {}.role)"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE stream_generations (
            subject    text PRIMARY KEY CHECK (subject ~ '^[akstu][0-9a-f]{32}$'),
            generation bigint NOT NULL CHECK (generation > 0),
            bumped_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE FUNCTION stream_generation_bump(subjects text[]) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            one text;
            bumped bigint;
        BEGIN
            FOREACH one IN ARRAY subjects LOOP
                INSERT INTO stream_generations AS g (subject, generation) VALUES (one, 1)
                ON CONFLICT (subject) DO UPDATE SET generation = g.generation + 1, bumped_at = now()
                RETURNING generation INTO bumped;
                PERFORM pg_notify('dam_stream_generations', one || ':' || bumped);
            END LOOP;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION stream_generation_of_row() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM stream_generation_bump(ARRAY[TG_ARGV[0] || replace(NEW.id::text, '-', '')]);
            RETURN NULL;
        END
        $$
        """
    )
    # A member removed or demoted: the user's own tokens, and those of the keys and upload tokens
    # they made in that workspace (worth no more than their maker now).
    op.execute(
        """
        CREATE FUNCTION stream_generation_of_member() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM stream_generation_bump(
                ARRAY['u' || replace(OLD.user_id::text, '-', '')]
                || ARRAY(SELECT 'k' || replace(id::text, '-', '') FROM api_keys
                         WHERE created_by = OLD.user_id AND workspace_id = OLD.workspace_id
                           AND revoked_at IS NULL)
                || ARRAY(SELECT 't' || replace(id::text, '-', '') FROM upload_tokens
                         WHERE created_by = OLD.user_id AND workspace_id = OLD.workspace_id
                           AND revoked_at IS NULL AND expires_at > now()));
            RETURN NULL;
        END
        $$
        """
    )
    for _, name, prefix, when in _ROW_TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} AFTER {when} EXECUTE FUNCTION stream_generation_of_row('{prefix}')"
        )
    op.execute(
        """CREATE TRIGGER memberships_removed_stream_generation AFTER DELETE ON memberships
           FOR EACH ROW EXECUTE FUNCTION stream_generation_of_member()"""
    )
    op.execute(
        f"""CREATE TRIGGER memberships_demoted_stream_generation AFTER UPDATE OF role ON memberships
            FOR EACH ROW WHEN ({_RANK.format("NEW")} < {_RANK.format("OLD")})
            EXECUTE FUNCTION stream_generation_of_member()"""
    )
    # What revoking a key's or a member's share links looks up.
    op.execute("CREATE INDEX shares_made_by_key_idx ON shares (created_by_key) WHERE revoked_at IS NULL")
    op.execute(
        "CREATE INDEX shares_made_by_user_idx ON shares (created_by, workspace_id) WHERE revoked_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX shares_made_by_user_idx")
    op.execute("DROP INDEX shares_made_by_key_idx")
    op.execute("DROP TRIGGER memberships_demoted_stream_generation ON memberships")
    op.execute("DROP TRIGGER memberships_removed_stream_generation ON memberships")
    for table, name, _, _ in _ROW_TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}")
    op.execute("DROP FUNCTION stream_generation_of_member()")
    op.execute("DROP FUNCTION stream_generation_of_row()")
    op.execute("DROP FUNCTION stream_generation_bump(text[])")
    op.execute("DROP TABLE stream_generations")
