"""Managing accounts: workspaces, users and their roles, API keys (upload tokens:
``services/upload_tokens.py``).

Used by the API (for the principal asking, whose role is checked here) and by ``dam admin`` (as
the deployment's owner: ``principal=None``)."""

from __future__ import annotations

import uuid

import msgspec

from dam.db import accounts as db
from dam.domain import audit
from dam.domain.access import Principal, Role, Scope, require
from dam.domain.accounts import ApiKey, Member, User, Workspace, clean_email, clean_slug
from dam.domain.audit import Action
from dam.domain.errors import Forbidden, InvalidInput, NotFound
from dam.resources import Resources
from dam.services import passwords
from dam.services.auth import KEY_PREFIX, VISIBLE
from dam.services.unit import unit

MAX_KEY_NAME = 200


class NewKey(msgspec.Struct, frozen=True, kw_only=True):
    """A key just created: the secret is shown this once."""

    key: ApiKey
    secret: str


class Accounts:
    """Workspaces, users, memberships and keys."""

    def __init__(self, resources: Resources) -> None:
        self.settings = resources.settings
        self.pool = resources.pool

    # -- workspaces and users -----------------------------------------------------------------

    async def ensure_workspace(self, slug: str) -> Workspace:
        """The workspace of that name, created when missing (``dam admin``)."""
        return await db.ensure_workspace(self.pool, clean_slug(slug))

    async def create_workspace(self, principal: Principal, slug: str, name: str | None) -> Workspace:
        """A new workspace, its creator its admin (operators only)."""
        if not principal.operator:
            raise Forbidden("only operators create workspaces")
        created = await db.create_workspace(self.pool, clean_slug(slug), (name or slug)[:200])
        if created is None:
            raise InvalidInput(f"a workspace named {slug!r} already exists")
        if principal.user_id is not None and principal.kind == "user":
            async with unit(self.pool) as work:
                await db.set_membership(work.conn, principal.user_id, created.id, Role.ADMIN)
        return created

    async def create_user(
        self,
        email: str,
        password: str | None,
        workspace: Workspace,
        role: Role,
        *,
        operator: bool = False,
        replace_password: bool = True,
        by: Principal | None = None,
    ) -> User:
        """A user (or the existing one of that address) with ``role`` in the workspace. A given
        password is checked; it is the new user's, and replaces an existing user's (ending their
        sessions) only with ``replace_password`` (``dam admin``, never the API)."""
        address, email_key = clean_email(email)
        hashed = None
        if password is not None:
            passwords.check_strength(password, self.settings.auth.password_min_length)
            hashed = await passwords.hash_password(password)
        user, created = await db.ensure_user(self.pool, address, email_key, hashed)
        if hashed is not None and not created and replace_password:
            async with unit(self.pool) as work:
                await db.set_password(work.conn, user.id, hashed)
        async with unit(self.pool) as work:
            await db.set_membership(
                work.conn, user.id, workspace.id, role,
                audit.by(by, Action.MEMBER_ADD, workspace_id=workspace.id),
            )  # fmt: skip
        if operator:
            await db.set_operator(self.pool, user.id, True)
        return user

    async def workspace_slugs(self) -> set[str]:
        """The slugs of every workspace."""
        return await db.workspace_slugs(self.pool)

    async def count_users(self) -> int:
        """How many users the deployment has."""
        return await db.count_users(self.pool)

    # -- members ------------------------------------------------------------------------------

    async def members(self, principal: Principal) -> list[Member]:
        """The members of the principal's workspace (admins)."""
        return await db.members(self.pool, self._managed(principal))

    async def change_role(self, principal: Principal, user_id: uuid.UUID, role: Role) -> Member:
        """Give a member another role (admins); 404 for someone who is not in the workspace. People
        join through invitations (``services.invitations``), never here."""
        workspace_id = self._managed(principal)
        if principal.user_id == user_id and principal.kind == "user":
            raise InvalidInput("admins cannot change their own role; another admin can")
        assert principal.role is not None
        if not principal.role.covers(role):
            raise Forbidden(f"a role cannot be granted wider than yours ({principal.role.value})")
        if _member(await db.members(self.pool, workspace_id), user_id) is None:
            raise NotFound(f"no member {user_id} in this workspace")
        async with unit(self.pool) as work:
            await db.set_membership(
                work.conn, user_id, workspace_id, role, audit.by(principal, Action.MEMBER_ROLE)
            )
        changed = _member(await db.members(self.pool, workspace_id), user_id)
        if changed is None:  # removed by another admin in the meantime
            raise NotFound(f"no member {user_id} in this workspace")
        return changed

    async def remove_member(self, principal: Principal, user_id: uuid.UUID) -> None:
        """Take a member out of the workspace (admins); 404 for someone who is not in it."""
        workspace_id = self._managed(principal)
        if principal.user_id == user_id and principal.kind == "user":
            raise InvalidInput("admins cannot remove themselves; another admin can")
        async with unit(self.pool) as work:
            removed = await db.remove_membership(
                work.conn, user_id, workspace_id, audit.by(principal, Action.MEMBER_REMOVE)
            )
        if not removed:
            raise NotFound(f"no member {user_id} in this workspace")

    # -- API keys -----------------------------------------------------------------------------

    async def create_key(
        self,
        principal: Principal | None,
        workspace_id: uuid.UUID,
        role: Role,
        name: str,
        expires_in: float | None,
    ) -> NewKey:
        """A key of the workspace with a role no wider than its creator's (admins, or ``dam admin``)."""
        if principal is not None:
            workspace_id = self._managed(principal)
            assert principal.role is not None
            if not principal.role.covers(role):
                raise Forbidden(f"a key's role cannot be wider than the creator's ({principal.role.value})")
        name = name.strip()[:MAX_KEY_NAME] or "key"
        if expires_in is not None and expires_in <= 0:
            raise InvalidInput("expires_in must be a positive number of seconds")
        creator = principal.user_id if principal is not None else None
        # A key made with a key is revoked with it and expires no later (db.revoke_key, insert_key).
        parent = principal.key_id if principal is not None and principal.kind == "key" else None
        for _ in range(5):  # a prefix collision (2^-60 per pair) draws another secret
            secret = passwords.new_secret(KEY_PREFIX)
            key = await db.insert_key(
                self.pool, workspace_id=workspace_id, prefix=secret[: len(KEY_PREFIX) + VISIBLE],
                digest=passwords.digest(secret), name=name, role=role, created_by=creator,
                created_by_key=parent, expires_in=expires_in,
                audit=audit.by(principal, Action.KEY_CREATE, workspace_id=workspace_id,
                               detail={"role": role.value, "name": name}),
            )  # fmt: skip
            if key is not None:
                return NewKey(key=key, secret=secret)
        raise RuntimeError("could not draw a unique key prefix")

    async def keys(self, principal: Principal) -> list[ApiKey]:
        """The workspace's keys (admins)."""
        return await db.list_keys(self.pool, self._managed(principal))

    async def revoke_key(self, principal: Principal, key_id: uuid.UUID) -> ApiKey:
        """Revoke a key of the workspace (admins); 404 for another workspace's, as for an unknown one."""
        workspace_id = self._managed(principal)
        async with unit(self.pool) as work:
            key = await db.revoke_key(work.conn, key_id, workspace_id, audit.by(principal, Action.KEY_REVOKE))
        if key is None:
            raise NotFound(f"key {key_id} not found")
        return key

    def _managed(self, principal: Principal) -> uuid.UUID:
        require(principal, Scope.MANAGE)
        assert principal.workspace_id is not None
        return principal.workspace_id


def _member(members: list[Member], user_id: uuid.UUID) -> Member | None:
    return next((m for m in members if m.user_id == user_id), None)
