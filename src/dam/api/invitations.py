"""Invitation routes: admins invite, list and revoke; the holder of a link accepts it (the link,
``/invite/{token}``, leads to the web app's ``/app/invite/{token}`` while it is good). Who may
accept is decided in ``services/invitations.py``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from litestar.response import File, Redirect
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT, HTTP_302_FOUND

from dam.api import account_schemas as a
from dam.api.access import CSRF_HEADER, browser_cookie, policy, public_base, session_cookie, session_of
from dam.api.accounts import me_out
from dam.api.addresses import client_address
from dam.api.errors import responses, status_of
from dam.api.webapp import PREFIX
from dam.domain.access import ANONYMOUS, Principal, Scope, needs
from dam.domain.accounts import User
from dam.domain.errors import Forbidden, Gone, NotFound, Unauthenticated
from dam.domain.validation import parse_id
from dam.paths import pages_dir
from dam.services import passwords
from dam.services.auth import Auth
from dam.services.invitations import Invitations

Id = Annotated[str, PathParameter(description="A UUID", schema_extra={"format": "uuid"})]
Token = Annotated[str, PathParameter(description="The token of an invitation's link (`dam_inv_...`)")]
MANAGE = policy(needs(Scope.MANAGE))


class InvitationServices(msgspec.Struct, frozen=True):
    """The use cases of these routes, as one dependency."""

    auth: Auth
    invitations: Invitations


class InvitationController(Controller):
    """Inviting people into a workspace, and accepting."""

    path = "/invitations"
    tags = ("accounts",)

    @post(
        "/", operation_id="createInvitation", status_code=HTTP_201_CREATED, opt=MANAGE,
        responses=responses(400, 401, 403, 413, 415, 422, 503), summary="Invite someone (link shown once)",
    )  # fmt: skip
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[a.NewInvitation],
        principal: NamedDependency[Principal], invitations: NamedDependency[InvitationServices],
    ) -> a.InvitationCreated:  # fmt: skip
        """Invite an address with a role no wider than yours (admins). The answer is the same whether
        or not the address has an account. `link` (`/invite/{token}`) is shown this once; with
        `DAM_SMTP_URL` set it is mailed to the address instead and `link` is null. It can be accepted
        once, within `DAM_INVITATION_TTL` seconds. There is no `password` field: whoever accepts
        chooses it."""
        made = await invitations.invitations.invite(principal, data.email, data.role, public_base(request))
        found = made.invitation
        return a.InvitationCreated(
            id=found.id, email=found.email, role=found.role, expires_at=found.expires_at, link=made.link
        )

    @get("/", operation_id="listInvitations", opt=MANAGE, responses=responses(400, 401, 403, 503),
         summary="List pending invitations")  # fmt: skip
    async def pending(
        self, principal: NamedDependency[Principal], invitations: NamedDependency[InvitationServices]
    ) -> list[a.InvitationOut]:
        """The workspace's invitations not yet accepted, revoked or expired, newest first (admins)."""
        return [a.invitation_out(i) for i in await invitations.invitations.pending(principal)]

    @delete(
        "/{invitation_id:str}", operation_id="revokeInvitation", status_code=HTTP_204_NO_CONTENT,
        opt=MANAGE, responses=responses(400, 401, 403, 404, 409, 422, 503), summary="Revoke an invitation",
    )  # fmt: skip
    async def revoke(
        self, invitation_id: Id, principal: NamedDependency[Principal],
        invitations: NamedDependency[InvitationServices],
    ) -> None:  # fmt: skip
        """Its link answers 410 from now on (admins; again is 204 again; another workspace's is 404
        as an unknown one; an accepted one is 409: remove the member instead)."""
        await invitations.invitations.revoke(principal, parse_id(invitation_id, "invitation id"))

    @post(
        "/{token:str}/accept", operation_id="acceptInvitation", status_code=HTTP_200_OK,
        opt=policy(ANONYMOUS), responses=responses(400, 403, 404, 410, 413, 415, 422, 503),
        summary="Accept an invitation",
    )  # fmt: skip
    async def accept(
        self, request: Request[Any, Any, Any], token: Token,
        invitations: NamedDependency[InvitationServices], data: JSONBody[a.AcceptInvitation | None] = None,
    ) -> Response[a.Me]:  # fmt: skip
        """For an address without an account, whoever holds the link chooses its `password`: the
        account is made (its address not verified), joins the workspace with the invited role and is
        signed in (the session cookie, as `POST /auth/login` sets it). For an existing account, only
        that account signed in as itself accepts (no password; a session of anyone else, or none, is
        403), and joins only then. An unknown link is 404; one used, revoked or expired is 410."""
        signed_in = await _browser_user(request, invitations.auth)
        address = client_address(request)
        password = data.password if data else None
        done = await invitations.invitations.accept(token, password, signed_in, address)
        principal = await invitations.auth.user_principal(done.user, str(done.workspace_id))
        identity = await invitations.auth.identity(principal)
        if done.session_id is None:
            return Response(me_out(identity, session_of(request)))
        max_age = invitations.auth.settings.auth.session_max_age
        cookie = browser_cookie(request, session_cookie(request), done.session_id, max_age)
        return Response(me_out(identity, done.session_id), cookies=[cookie])


async def _browser_user(request: Request[Any, Any, Any], auth: Auth) -> User | None:
    """The user of the browser's live session, if it has one; its writes carry the CSRF token."""
    session_id = session_of(request)
    if not session_id:
        return None
    try:
        user = await auth.session_user(session_id)
    except Unauthenticated:
        return None  # an ended session is no session
    sent = request.headers.get(CSRF_HEADER, "")
    if not passwords.same(sent.encode(), passwords.csrf_token(session_id).encode()):
        raise Forbidden("a signed-in browser's writes must carry the X-CSRF-Token of GET /auth/me")
    return user


def invite_page() -> Any:
    """``/invite/{token}``, an invitation's link: to the web app's page for a link that can still be
    accepted, else 404 for an unknown link and 410 for a used, revoked or expired one, with a page
    that says so."""
    gone = pages_dir() / "invite-gone.html"

    @get("/invite/{token:str}", media_type=MediaType.HTML, include_in_schema=False, opt=policy(ANONYMOUS))
    async def page(token: Token, invitations: NamedDependency[InvitationServices]) -> Response[Any]:
        try:
            await invitations.invitations.find(token)
        except (NotFound, Gone) as exc:
            return File(
                gone, content_disposition_type="inline", media_type=MediaType.HTML, status_code=status_of(exc)
            )
        return Redirect(f"{PREFIX}/invite/{quote(token, safe='')}", status_code=HTTP_302_FOUND)

    return page
