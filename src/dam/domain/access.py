"""Who may do what: roles, the scopes each grants, the principals requests act as, and the policy
every route declares. Pure: the API resolves principals, services call ``require``.

A principal acts in one workspace (the tenant boundary). Roles are ranked; each grants the scopes
of the roles below it and some of its own. ``allows`` is the one function that answers whether a
principal may use a scope, on an asset it owns or not.
"""

from __future__ import annotations

import enum
import uuid
from typing import Literal

import msgspec

from dam.domain.errors import Forbidden


class Role(enum.StrEnum):
    """A member's role in a workspace, lowest first."""

    VIEWER = "viewer"
    CONTRIBUTOR = "contributor"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Position in the ranking (viewer 0 ... admin 3)."""
        return _RANK[self]

    def covers(self, other: Role) -> bool:
        """Whether this role grants everything ``other`` does."""
        return self.rank >= other.rank


_RANK = {role: n for n, role in enumerate(Role)}


class Scope(enum.StrEnum):
    """What a role allows."""

    READ = "assets:read"  # list, read, download, renditions
    UPLOAD = "assets:upload"  # create assets and upload their bytes, mint upload tokens
    EDIT_OWN = "assets:edit-own"  # edit and delete the assets one created
    EDIT_ANY = "assets:edit"  # edit, delete and reprocess any asset of the workspace
    MANAGE = "workspace:manage"  # members, keys, the workspace's job dashboard


SCOPES: dict[Role, frozenset[Scope]] = {
    Role.VIEWER: frozenset({Scope.READ}),
    Role.CONTRIBUTOR: frozenset({Scope.READ, Scope.UPLOAD, Scope.EDIT_OWN}),
    Role.EDITOR: frozenset({Scope.READ, Scope.UPLOAD, Scope.EDIT_OWN, Scope.EDIT_ANY}),
    Role.ADMIN: frozenset(Scope),
}

Kind = Literal["user", "key", "upload_token"]


class UploadLimits(msgspec.Struct, frozen=True, kw_only=True):
    """What an upload token lets a page upload."""

    content_types: tuple[str, ...] | None = None  # None: the deployment's allow-list
    max_bytes: int | None = None  # None: the deployment's limit
    expires_at: float = 0.0  # epoch seconds


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who a request acts as, in which workspace, with which role."""

    kind: Kind
    workspace_id: uuid.UUID | None
    role: Role | None
    user_id: uuid.UUID | None = None
    key_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None
    operator: bool = False
    limits: UploadLimits | None = None  # upload tokens only
    address: str | None = None  # the client's address, for the audit log

    @property
    def label(self) -> str:
        """How logs name it."""
        ident = self.user_id or self.key_id or self.token_id
        return f"{self.kind}:{ident}"


class Owner(msgspec.Struct, frozen=True, kw_only=True):
    """Who created an asset."""

    user_id: uuid.UUID | None = None
    key_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None


def owns(principal: Principal, owner: Owner) -> bool:
    """Whether the principal created the asset (a user through a key of theirs included)."""
    if principal.user_id is not None and principal.user_id == owner.user_id:
        return True
    return principal.key_id is not None and principal.key_id == owner.key_id


def allows(principal: Principal, scope: Scope, owner: Owner | None = None) -> bool:
    """The one check of every route and use case: may ``principal`` use ``scope`` (on an asset
    created by ``owner``)? Editing one's own asset is ``EDIT_OWN``; anyone else's is ``EDIT_ANY``."""
    if principal.role is None or principal.workspace_id is None:
        return False
    granted = SCOPES[principal.role]
    if principal.kind == "upload_token":
        granted = granted & {Scope.UPLOAD}
    if scope is Scope.EDIT_OWN and owner is not None and not owns(principal, owner):
        scope = Scope.EDIT_ANY
    return scope in granted


def require(principal: Principal, scope: Scope, owner: Owner | None = None) -> None:
    """``allows`` or ``Forbidden``."""
    if not allows(principal, scope, owner):
        role = principal.role.value if principal.role else "no role"
        what = "this asset" if owner is not None and scope is Scope.EDIT_OWN else "this"
        raise Forbidden(f"{principal.kind} with role {role} may not do {what} ({_needs(scope, owner)})")


def _needs(scope: Scope, owner: Owner | None) -> str:
    if scope is Scope.EDIT_OWN and owner is not None:
        return "needs editor, or contributor on one's own asset"
    least = next(role for role in Role if scope in SCOPES[role])
    return f"needs {least.value} or higher"


class Policy(msgspec.Struct, frozen=True, kw_only=True):
    """What a route needs. ``anonymous``: nothing; ``signed_in``: any user or key; ``scope``: a
    member whose role grants it; ``operator``: the deployment-wide flag. ``token``: under
    ``/uploads/{token}/...`` the upload token in the path is the credential instead. ``share``: the
    share link in the path is the credential, which the route checks itself (a share link reaches
    one asset, read-only, and its refusals are 404). ``stream``: the stream token in the path (an
    HMAC of asset, viewer, expiry and their generations) is the credential, checked without a
    database read in the common case."""

    anonymous: bool = False
    signed_in: bool = False
    scope: Scope | None = None
    operator: bool = False
    token: bool = False
    share: bool = False
    stream: bool = False  # the stream token in the path is the credential, checked by the route

    def describe(self) -> str:
        """One phrase, for the route table and the tests."""
        if self.anonymous:
            return "anonymous"
        if self.share:
            return "share link in the path"
        if self.stream:
            return "stream token in the path"
        parts = []
        if self.operator:
            parts.append("operator")
        if self.scope is not None:
            parts.append(f"scope {self.scope.value}")
        if self.signed_in:
            parts.append("signed in")
        if self.token:
            parts.append("or upload token in the path")
        return " ".join(parts)


ANONYMOUS = Policy(anonymous=True)
SIGNED_IN = Policy(signed_in=True)
OPERATOR = Policy(operator=True)
SHARE_LINK = Policy(share=True)
STREAM_TOKEN = Policy(stream=True)


def needs(scope: Scope, *, token: bool = False) -> Policy:
    """A route open to members whose role grants ``scope`` (and, if ``token``, to upload tokens)."""
    return Policy(scope=scope, token=token)
