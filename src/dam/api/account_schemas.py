"""Request and response bodies of the account routes: sign-in, members, invitations, keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from dam.domain.access import Kind, Role
from dam.domain.accounts import ApiKey, Invitation, Member, Workspace

Email = Annotated[str, Meta(min_length=3, max_length=320, examples=["ana@example.com"])]
Password = Annotated[str, Meta(min_length=1, max_length=1024)]
Slug = Annotated[
    str, Meta(min_length=1, max_length=63, pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(?!\n)$")
]


class Login(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /auth/login``."""

    email: Email
    password: Password


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /auth/password``: every session of the user ends; this browser gets a new one."""

    current_password: Password
    new_password: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=1024,
            description="At least DAM_PASSWORD_MIN_LENGTH characters, not a common one",
        ),
    ]


class UserOut(msgspec.Struct, kw_only=True):
    """A user."""

    id: uuid.UUID
    email: str
    operator: bool


class WorkspaceRole(msgspec.Struct, kw_only=True):
    """A workspace and the role held there."""

    id: uuid.UUID
    slug: str
    name: str
    role: Role


class Me(msgspec.Struct, kw_only=True):
    """``GET /auth/me``: who is asking, in which workspace, with which role."""

    kind: Kind
    user: UserOut | None
    workspace: WorkspaceRole | None = msgspec.field(default=None)
    workspaces: list[WorkspaceRole]
    operator: bool
    csrf_token: str | None = msgspec.field(default=None)


class SessionState(msgspec.Struct, kw_only=True):
    """``GET /auth/session``: who is signed in, if anyone (``me`` null: no one)."""

    me: Me | None


class NewWorkspace(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /workspaces`` (operators)."""

    slug: Slug
    name: Annotated[str, Meta(min_length=1, max_length=200)] | None = None


class WorkspaceOut(msgspec.Struct, kw_only=True):
    """A workspace."""

    id: uuid.UUID
    slug: str
    name: str
    created_at: datetime


class NewInvitation(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /invitations``: who is invited, with which role. No password: whoever accepts chooses it."""

    email: Email
    role: Role


class InvitationCreated(msgspec.Struct, kw_only=True):
    """A new invitation: ``link`` (``/invite/{token}``) is shown this once, and is null when the
    invitation was mailed (``DAM_SMTP_URL``). The same answer whether or not the address has an account."""

    id: uuid.UUID
    email: str
    role: Role
    expires_at: datetime
    link: str | None


class InvitationOut(msgspec.Struct, kw_only=True):
    """A pending invitation (never its link)."""

    id: uuid.UUID
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime


class AcceptInvitation(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /invitations/{token}/accept``: the password of the account it makes (an address without
    one); an existing account accepts signed in as itself, without it."""

    password: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=1024,
                description="At least DAM_PASSWORD_MIN_LENGTH characters, not a common one",
            ),
        ]
        | None
    ) = None


class RoleChange(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``PATCH /members/{user_id}``: the member's new role."""

    role: Role


class MemberOut(msgspec.Struct, kw_only=True):
    """A member of the workspace; ``email_verified`` is false for an account made through an
    invitation's link (whoever held it chose the password)."""

    user_id: uuid.UUID
    email: str
    role: Role
    created_at: datetime
    email_verified: bool


class NewKey(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /keys``: a key of the workspace, its role no wider than its creator's."""

    role: Role
    name: Annotated[str, Meta(max_length=200)] = "key"
    expires_in: (
        Annotated[int, Meta(ge=1, le=10 * 365 * 24 * 3600, description="Seconds; none: never")] | None
    ) = None


class KeyOut(msgspec.Struct, kw_only=True):
    """An API key (never its secret, except once in ``KeyCreated``)."""

    id: uuid.UUID
    prefix: str
    name: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyOut, kw_only=True):
    """A new key: ``key`` is shown this once; send it as ``Authorization: Bearer <key>``."""

    key: str


def key_out(key: ApiKey) -> KeyOut:
    """A key's public fields."""
    return KeyOut(
        id=key.id, prefix=key.prefix, name=key.name, role=key.role, created_at=key.created_at,
        expires_at=key.expires_at, last_used_at=key.last_used_at, revoked_at=key.revoked_at,
    )  # fmt: skip


def member_out(member: Member) -> MemberOut:
    """A member's public fields."""
    return MemberOut(
        user_id=member.user_id, email=member.email, role=member.role, created_at=member.created_at,
        email_verified=member.email_verified,
    )  # fmt: skip


def invitation_out(invitation: Invitation) -> InvitationOut:
    """A pending invitation's public fields."""
    return InvitationOut(
        id=invitation.id, email=invitation.email, role=invitation.role,
        created_at=invitation.created_at, expires_at=invitation.expires_at,
    )  # fmt: skip


def workspace_out(workspace: Workspace) -> WorkspaceOut:
    """A workspace's public fields."""
    return WorkspaceOut(
        id=workspace.id, slug=workspace.slug, name=workspace.name, created_at=workspace.created_at
    )
