"""The audit log as the services see it: who did what, to which asset, when, from where, and how it
ended. Rows are appended in the transaction of the action they record, never changed."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec

from dam.domain.access import Principal

ActorKind = Literal["user", "key", "upload_token", "share", "system", "anonymous"]
Outcome = Literal["ok", "failed"]


class Action(enum.StrEnum):
    """Every action the log records."""

    LOGIN = "auth.login"
    KEY_CREATE = "key.create"
    KEY_REVOKE = "key.revoke"
    TOKEN_CREATE = "upload_token.create"  # noqa: S105 - an action's name, not a secret
    TOKEN_REVOKE = "upload_token.revoke"  # noqa: S105 - an action's name, not a secret
    ASSET_CREATE = "asset.create"
    ASSET_COMPLETE = "asset.complete"
    ASSET_DELETE = "asset.delete"
    ASSET_TRASH = "asset.trash"
    ASSET_RESTORE = "asset.restore"
    ASSET_REPROCESS = "asset.reprocess"
    ASSET_UPDATE = "asset.update"
    TAG_RENAME = "tag.rename"
    TAG_DELETE = "tag.delete"
    SHARE_CREATE = "share.create"
    SHARE_REVOKE = "share.revoke"
    SHARE_USE = "share.use"
    MEMBER_ADD = "member.add"
    MEMBER_ROLE = "member.role"
    MEMBER_REMOVE = "member.remove"
    INVITATION_CREATE = "invitation.create"
    INVITATION_ACCEPT = "invitation.accept"
    INVITATION_REVOKE = "invitation.revoke"
    IDENTITY_LINK = "identity.link"
    COLLECTION_CREATE = "collection.create"
    COLLECTION_UPDATE = "collection.update"
    COLLECTION_DELETE = "collection.delete"
    COLLECTION_ADD = "collection.assets.add"
    COLLECTION_REMOVE = "collection.assets.remove"
    COLLECTION_MOVE = "collection.assets.move"
    WORKSPACE_SCHEMA = "workspace.schema"


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    """One row about to be appended."""

    action: Action
    outcome: Outcome = "ok"
    workspace_id: uuid.UUID | None = None
    actor: ActorKind = "system"
    user_id: uuid.UUID | None = None
    key_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None
    share_id: uuid.UUID | None = None
    asset_id: uuid.UUID | None = None
    target_id: uuid.UUID | None = None  # the key, token, share link, member or collection acted on
    address: str | None = None
    detail: dict[str, Any] = msgspec.field(default_factory=dict)


class Row(Entry, frozen=True, kw_only=True):
    """A row of the log as it reads back."""

    id: int
    at: datetime
    email: str | None = None  # of the user behind the actor, when there is one


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    """What ``GET /audit`` narrows the log to."""

    workspace_id: uuid.UUID | None = None  # None: every workspace (operators)
    actor: uuid.UUID | None = None  # a user, key, upload token or share link id
    action: Action | None = None
    asset_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


def by(principal: Principal | None, action: Action, **fields: Any) -> Entry:
    """An entry of an action a principal took (None: the system, e.g. ``dam admin`` or a job)."""
    if principal is None:
        return Entry(action=action, actor="system", **fields)
    fields.setdefault("workspace_id", principal.workspace_id)
    return Entry(
        action=action,
        actor=principal.kind,
        user_id=principal.user_id,
        key_id=principal.key_id,
        token_id=principal.token_id,
        address=principal.address,
        **fields,
    )
