"""Account routes: sign-in and sessions (``/auth``), workspaces, members, API keys (invitations:
``api/invitations.py``; upload tokens: ``api/upload_tokens.py``)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT, HTTP_410_GONE

from dam.api import account_schemas as a
from dam.api.access import browser_cookie, carried_principal, check_csrf, policy, session_cookie, session_of
from dam.api.addresses import client_address
from dam.api.errors import responses
from dam.domain.access import ANONYMOUS, OPERATOR, SIGNED_IN, Principal, Scope, needs
from dam.domain.accounts import Membership
from dam.domain.errors import Forbidden, Gone, Unauthenticated
from dam.domain.validation import parse_id
from dam.services import passwords
from dam.services.accounts import Accounts
from dam.services.auth import Auth, Identity

Id = Annotated[str, PathParameter(description="A UUID", schema_extra={"format": "uuid"})]
MANAGE = policy(needs(Scope.MANAGE))
SIGNED = responses(400, 401, 403, 503)


class AccountServices(msgspec.Struct, frozen=True):
    """The use cases of these routes, as one dependency."""

    auth: Auth
    accounts: Accounts


def _cookie(request: Request[Any, Any, Any], value: str, max_age: int) -> Cookie:
    return browser_cookie(request, session_cookie(request), value, max_age)


def _role(m: Membership) -> a.WorkspaceRole:
    return a.WorkspaceRole(id=m.workspace_id, slug=m.slug, name=m.name, role=m.role)


def me_out(identity: Identity, session_id: str | None) -> a.Me:
    """``Me`` of an identity (with the CSRF token of its browser session, if any)."""
    user = identity.user
    return a.Me(
        kind=identity.principal.kind,
        user=a.UserOut(id=user.id, email=user.email, operator=user.operator) if user else None,
        workspace=_role(identity.workspace) if identity.workspace else None,
        workspaces=[_role(m) for m in identity.memberships],
        operator=identity.principal.operator,
        csrf_token=passwords.csrf_token(session_id) if session_id else None,
    )


class AuthController(Controller):
    """Browser sign-in: a server-side session in an HttpOnly, SameSite=Lax cookie."""

    path = "/auth"
    tags = ("auth",)

    @post(
        "/login", operation_id="login", status_code=HTTP_200_OK, opt=policy(ANONYMOUS),
        responses=responses(400, 401, 413, 415, 422, 429, 503), summary="Sign in (sets the session cookie)",
    )  # fmt: skip
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[a.Login],
        accounts: NamedDependency[AccountServices],
    ) -> Response[a.Me]:
        """Check the password and open a session: a new session id every time. The 6th failure
        within a minute, for one account or from one address, is 429 with `Retry-After`."""
        address = client_address(request)
        signed = await accounts.auth.login(data.email, data.password, address)
        principal = await accounts.auth.user_principal(signed.user, None)
        body = me_out(await accounts.auth.identity(principal), signed.session_id)
        max_age = accounts.auth.settings.auth.session_max_age
        return Response(body, cookies=[_cookie(request, signed.session_id, max_age)])

    @post(
        "/logout", operation_id="logout", status_code=HTTP_204_NO_CONTENT, opt=policy(ANONYMOUS),
        responses=responses(400, 403, 503), summary="Sign out (ends the session)",
    )  # fmt: skip
    async def logout(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[AccountServices]
    ) -> Response[None]:
        """End the browser's session, if it has one, and clear the cookie. With a session cookie the
        request must carry its `X-CSRF-Token` (403 otherwise): no other site can sign you out."""
        session_id = session_of(request)
        if session_id:
            check_csrf(request, session_id)
            await accounts.auth.logout(session_id)
        return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=[_cookie(request, "", 0)])

    @get("/me", operation_id="getMe", opt=policy(SIGNED_IN), responses=SIGNED, summary="Who am I")
    async def me(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal],
        accounts: NamedDependency[AccountServices],
    ) -> a.Me:  # fmt: skip
        """The user (or key), their workspaces and roles, the workspace this request acts in, and
        for a browser session the `csrf_token` its writes send as `X-CSRF-Token`."""
        return me_out(await accounts.auth.identity(principal), session_of(request))

    @get(
        "/session", operation_id="getSession", opt=policy(ANONYMOUS), responses=responses(400, 503),
        summary="Whether anyone is signed in",
    )  # fmt: skip
    async def session(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[AccountServices]
    ) -> a.SessionState:
        """`GET /auth/me` for a page that does not know yet whether it is signed in: 200 either
        way, `me` null when the request carries no good credentials (no cookie, an ended session,
        a workspace named in `X-Workspace` that the user is not a member of), so asking is never
        a failed request; 503 when they cannot be checked now."""
        try:
            principal = await carried_principal(request)
        except (Unauthenticated, Forbidden):
            return a.SessionState(me=None)
        return a.SessionState(me=me_out(await accounts.auth.identity(principal), session_of(request)))

    @post(
        "/password", operation_id="changePassword", status_code=HTTP_200_OK, opt=policy(SIGNED_IN),
        responses=responses(400, 401, 403, 413, 415, 422, 429, 503),
        summary="Change the password (ends every session)",
    )  # fmt: skip
    async def password(
        self, request: Request[Any, Any, Any], data: JSONBody[a.PasswordChange],
        principal: NamedDependency[Principal], accounts: NamedDependency[AccountServices],
    ) -> Response[a.Me]:  # fmt: skip
        """Every session of the user ends; this browser gets a new one. A wrong `current_password`
        is 403 and counts as a failed sign-in of the account: the `DAM_LOGIN_MAX_FAILURES`-th within
        a minute ends every session of the user (401), and more are 429 while the limit holds."""
        identity = await accounts.auth.identity(principal)
        if principal.kind != "user" or identity.user is None:
            raise Forbidden("only a signed-in user has a password to change")
        signed = await accounts.auth.change_password(
            identity.user, data.current_password, data.new_password, principal.address
        )
        max_age = accounts.auth.settings.auth.session_max_age
        body = me_out(identity, signed.session_id)
        return Response(body, cookies=[_cookie(request, signed.session_id, max_age)])


class AccountsController(Controller):
    """Workspaces (operators), members and API keys (workspace admins)."""

    path = ""
    tags = ("accounts",)

    @post(
        "/workspaces", operation_id="createWorkspace", status_code=HTTP_201_CREATED, opt=policy(OPERATOR),
        responses=responses(400, 401, 403, 413, 415, 422, 503), summary="Create a workspace (operators)",
    )  # fmt: skip
    async def create_workspace(
        self, data: JSONBody[a.NewWorkspace], principal: NamedDependency[Principal],
        accounts: NamedDependency[AccountServices],
    ) -> a.WorkspaceOut:  # fmt: skip
        """A new workspace; the operator who creates it is its first admin."""
        return a.workspace_out(await accounts.accounts.create_workspace(principal, data.slug, data.name))

    @get("/members", operation_id="listMembers", opt=MANAGE, responses=SIGNED, summary="List members")
    async def members(
        self, principal: NamedDependency[Principal], accounts: NamedDependency[AccountServices]
    ) -> list[a.MemberOut]:
        """The workspace's members and their roles (admins)."""
        return [a.member_out(m) for m in await accounts.accounts.members(principal)]

    @post(
        "/members", operation_id="addMember", status_code=HTTP_410_GONE, opt=MANAGE, deprecated=True,
        responses=responses(401, 403, 410, 503), summary="Retired: invite people instead (410)",
    )  # fmt: skip
    async def add_member(self) -> None:
        """Always 410 `gone`: people join through invitations (`POST /invitations`), which only they
        accept; roles change with `PATCH /members/{user_id}`. (This route set a new user's password
        and added an existing account to the workspace without its consent.)"""
        raise Gone(
            "POST /members is gone: invite people with POST /invitations {email, role}; change a"
            " member's role with PATCH /members/{user_id} {role}"
        )

    @patch(
        "/members/{user_id:str}", operation_id="changeMemberRole", status_code=HTTP_200_OK, opt=MANAGE,
        responses=responses(400, 401, 403, 404, 413, 415, 422, 503), summary="Change a member's role",
    )  # fmt: skip
    async def change_role(
        self, user_id: Id, data: JSONBody[a.RoleChange], principal: NamedDependency[Principal],
        accounts: NamedDependency[AccountServices],
    ) -> a.MemberOut:  # fmt: skip
        """Give a member another role, no wider than yours (admins; 404 for someone who is not a
        member, as for an unknown id). People join through invitations (`POST /invitations`)."""
        changed = await accounts.accounts.change_role(principal, parse_id(user_id, "user id"), data.role)
        return a.member_out(changed)

    @delete(
        "/members/{user_id:str}", operation_id="removeMember", status_code=HTTP_204_NO_CONTENT, opt=MANAGE,
        responses=responses(400, 401, 403, 404, 422, 503), summary="Remove a member",
    )  # fmt: skip
    async def remove_member(
        self, user_id: Id, principal: NamedDependency[Principal], accounts: NamedDependency[AccountServices]
    ) -> None:
        """Take a user out of the workspace (admins)."""
        await accounts.accounts.remove_member(principal, parse_id(user_id, "user id"))

    @post(
        "/keys", operation_id="createKey", status_code=HTTP_201_CREATED, opt=MANAGE,
        responses=responses(400, 401, 403, 413, 415, 422, 503), summary="Create an API key (shown once)",
    )  # fmt: skip
    async def create_key(
        self, data: JSONBody[a.NewKey], principal: NamedDependency[Principal],
        accounts: NamedDependency[AccountServices],
    ) -> a.KeyCreated:  # fmt: skip
        """A key of the workspace with a role no wider than yours; `key` is shown this once."""
        assert principal.workspace_id is not None
        made = await accounts.accounts.create_key(
            principal, principal.workspace_id, data.role, data.name, data.expires_in
        )
        return a.KeyCreated(**msgspec.structs.asdict(a.key_out(made.key)), key=made.secret)

    @get("/keys", operation_id="listKeys", opt=MANAGE, responses=SIGNED, summary="List API keys")
    async def keys(
        self, principal: NamedDependency[Principal], accounts: NamedDependency[AccountServices]
    ) -> list[a.KeyOut]:
        """The workspace's keys, newest first, with their last use (admins)."""
        return [a.key_out(k) for k in await accounts.accounts.keys(principal)]

    @delete(
        "/keys/{key_id:str}", operation_id="revokeKey", status_code=HTTP_204_NO_CONTENT, opt=MANAGE,
        responses=responses(400, 401, 403, 404, 422, 503), summary="Revoke an API key",
    )  # fmt: skip
    async def revoke_key(
        self, key_id: Id, principal: NamedDependency[Principal], accounts: NamedDependency[AccountServices]
    ) -> None:
        """The key answers 401 from now on (admins; revoking again is 204 again)."""
        await accounts.accounts.revoke_key(principal, parse_id(key_id, "key id"))
