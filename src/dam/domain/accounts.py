"""Accounts as the services see them: workspaces, users and their memberships, API keys, sessions
and upload tokens. Secrets appear here only as digests; ``secrets`` makes and checks them."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import msgspec

from dam.domain.access import Role
from dam.domain.errors import InvalidInput

_SLUG = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]{1,255}$")


class Workspace(msgspec.Struct, frozen=True, kw_only=True):
    """A tenant: every asset belongs to exactly one."""

    id: uuid.UUID
    slug: str
    name: str
    created_at: datetime


class Membership(msgspec.Struct, frozen=True, kw_only=True):
    """A user's role in one workspace."""

    workspace_id: uuid.UUID
    slug: str
    name: str
    role: Role


class User(msgspec.Struct, frozen=True, kw_only=True):
    """A person who signs in."""

    id: uuid.UUID
    email: str
    operator: bool
    created_at: datetime


class Member(msgspec.Struct, frozen=True, kw_only=True):
    """A user as a workspace lists its members."""

    user_id: uuid.UUID
    email: str
    role: Role
    created_at: datetime
    email_verified: bool = True  # False: the account was made by whoever held an invitation link


class Invitation(msgspec.Struct, frozen=True, kw_only=True):
    """An invitation to join a workspace (never its token: only a digest is stored)."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    email: str
    email_key: str
    role: Role
    created_by: uuid.UUID | None
    created_by_key: uuid.UUID | None
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    accepted_by: uuid.UUID | None
    revoked_at: datetime | None

    def unusable(self, now: datetime) -> str | None:
        """Why the invitation can no longer be accepted (None: it can)."""
        if self.accepted_at is not None:
            return "has already been accepted"
        if self.revoked_at is not None:
            return "has been revoked"
        if self.expires_at <= now:
            return "has expired"
        return None


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """An API key's record (never its secret)."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    prefix: str
    name: str
    role: Role
    created_by: uuid.UUID | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class UploadToken(msgspec.Struct, frozen=True, kw_only=True):
    """An upload token's record."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    content_types: list[str] | None
    max_bytes: int | None
    created_by: uuid.UUID | None
    created_by_key: uuid.UUID | None
    created_at: datetime
    expires_at: datetime
    max_files: int | None = None  # assets it may create (None: no cap)
    max_total_bytes: int | None = None  # bytes its completed uploads may store in all (None: no cap)
    files_used: int = 0  # assets it has created (aborted and refused ones too)
    bytes_used: int = 0  # bytes of its uploads that completed
    revoked_at: datetime | None = None


def clean_email(value: str) -> tuple[str, str]:
    """The address as given and its lookup key (case-folded); refused if it is not one."""
    if value != value.strip() or not _EMAIL.fullmatch(value) or len(value) > 320:
        raise InvalidInput("email must be an address like name@example.com")
    return value, value.casefold()


def clean_slug(value: str) -> str:
    """A workspace's short name: lowercase letters, digits and inner hyphens, 1 to 63 characters."""
    if not _SLUG.fullmatch(value):
        raise InvalidInput(
            "workspace names are 1 to 63 lowercase letters, digits and hyphens (not first or last)"
        )
    return value
