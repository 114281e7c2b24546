"""Invitations: how people join a workspace. No workspace admin sets anyone's password or adds an
existing account without its consent.

An admin invites an address with a role; the answer is the same whether or not the address has an
account (nothing here looks). The invitation's one-time link (``/invite/{token}``, only a digest is
stored) is shown once to the admin, or mailed when ``DAM_SMTP_URL`` is set. Accepting it:

- for an address without an account, whoever holds the link chooses its password; the account is
  made (``email_verified`` false: nobody proved they read that mailbox), joins and is signed in;
- for an existing account, only that account, signed in as itself, can accept: a session of anyone
  else, or none, is refused; the account joins the workspace only then.

Or with single sign-on (``accept_signed_on``, once the provider's ID token is verified): the
provider's verified address must be the invited one. An account linked to that identity (issuer +
subject) signed in as itself and accepts; with no account of that address, one is made linked to the
identity (``email_verified`` true: the provider verified it); an account of that address that is not
linked to the identity is refused (it signs in its own way, then accepts).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage

import msgspec

from dam.db import accounts as accounts_db
from dam.db import invitations as db
from dam.db import sso as links
from dam.domain import audit
from dam.domain.access import Principal, Role, Scope, require
from dam.domain.accounts import Invitation, User, clean_email
from dam.domain.audit import Action, Entry
from dam.domain.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from dam.resources import Resources
from dam.services import mail, passwords
from dam.services.unit import unit

INVITE_PREFIX = "dam_inv_"
_TOKEN = re.compile(r"dam_inv_[A-Za-z0-9_-]{43}")


class NewInvitation(msgspec.Struct, frozen=True, kw_only=True):
    """An invitation just made; ``link`` is shown this once (None: it was mailed)."""

    invitation: Invitation
    link: str | None


class Accepted(msgspec.Struct, frozen=True, kw_only=True):
    """Who joined which workspace; ``session_id`` of the session opened for an account just made."""

    user: User
    workspace_id: uuid.UUID
    created: bool
    session_id: str | None = None


class Invitations:
    """Invite, list, revoke and accept."""

    def __init__(self, resources: Resources) -> None:
        self.settings = resources.settings
        self.pool = resources.pool

    async def invite(self, principal: Principal, email: str, role: Role, base: str) -> NewInvitation:
        """Invite an address to the principal's workspace with a role no wider than the principal's
        (admins). Whether the address has an account is not looked at: the answer is the same."""
        workspace_id = _managed(principal)
        assert principal.role is not None
        if not principal.role.covers(role):
            raise Forbidden(f"an invitation's role cannot be wider than yours ({principal.role.value})")
        address, email_key = clean_email(email)
        secret = passwords.new_secret(INVITE_PREFIX)
        link = f"{base.rstrip('/')}/invite/{secret}"
        smtp = self.settings.auth.smtp_url
        entry = audit.by(
            principal, Action.INVITATION_CREATE, workspace_id=workspace_id,
            detail={"email": address, "role": role.value, "mailed": bool(smtp)},
        )  # fmt: skip
        async with unit(self.pool) as work:
            made = await db.insert(
                work.conn, workspace_id=workspace_id, email=address, email_key=email_key, role=role,
                digest=passwords.digest(secret), created_by=principal.user_id,
                created_by_key=principal.key_id, ttl=self.settings.auth.invitation_ttl, audit=entry,
            )  # fmt: skip
            if smtp:  # mailed inside the transaction: a mail server that refuses leaves no invitation
                await mail.send(smtp, await self._message(made, link))
        return NewInvitation(invitation=made, link=None if smtp else link)

    async def _message(self, invitation: Invitation, link: str) -> EmailMessage:
        workspace = await accounts_db.get_workspace(self.pool, invitation.workspace_id)
        # A workspace's name is free text: one line of it in the Subject (a header cannot break lines).
        name = " ".join(workspace.name.split())[:100] if workspace else ""
        name = name or "a workspace"
        until = invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        body = (
            f"You are invited to join {name} on DAM as {invitation.role.value}.\n\n"
            f"Open this link to accept (it works once, until {until}):\n\n{link}\n\n"
            "If you did not expect this invitation, ignore this message.\n"
        )
        sender = mail.sender_of(self.settings.auth.smtp_from, self.settings.server.public_url)
        return mail.message(sender, invitation.email, f"Invitation to {name}", body)

    async def pending(self, principal: Principal) -> list[Invitation]:
        """The workspace's invitations that can still be accepted (admins)."""
        return await db.pending(self.pool, _managed(principal))

    async def revoke(self, principal: Principal, invitation_id: uuid.UUID) -> Invitation:
        """Revoke an invitation (admins; again is no change); 404 for another workspace's, as for an
        unknown one; 409 for one already accepted (remove the member instead)."""
        workspace_id = _managed(principal)
        entry = audit.by(principal, Action.INVITATION_REVOKE)
        async with unit(self.pool) as work:
            found = await db.revoke(work.conn, invitation_id, workspace_id, entry)
        if found is None:
            raise NotFound(f"invitation {invitation_id} not found")
        if found.accepted_at is not None:
            raise Conflict("this invitation has been accepted already; remove the member instead")
        return found

    async def find(self, token: str) -> Invitation:
        """The invitation of a link that can still be accepted: 404 for an unknown one, 410 for one
        used, revoked or expired."""
        found = await db.by_digest(self.pool, passwords.digest(token)) if _TOKEN.fullmatch(token) else None
        if found is None:
            raise NotFound("no such invitation")
        why = found.unusable(datetime.now(UTC))
        if why is not None:
            raise Gone(f"this invitation {why}")
        return found

    async def digest_of(self, token: str) -> bytes:
        """The digest of a link that can still be accepted (404 or 410 as ``find``): what a single
        sign-on started from the link carries, never the token itself."""
        await self.find(token)
        return passwords.digest(token)

    async def accept_signed_on(
        self, digest: bytes, issuer: str, subject: str, email: str, address: str
    ) -> User:
        """Accept the invitation of that digest for the identity a provider just vouched for, its
        ``email`` verified by the provider: the account that joins (see the module's docstring)."""
        invitation = await db.by_digest(self.pool, digest)
        why = invitation.unusable(datetime.now(UTC)) if invitation is not None else "no longer exists"
        if invitation is None or why is not None:
            raise Gone(f"this invitation {why}")
        if email.casefold() != invitation.email_key:
            raise Forbidden(f"this invitation is for another address than yours, {email[:320]}")
        linked = await links.linked_user(self.pool, issuer, subject)
        if linked is not None:
            if linked.email.casefold() != invitation.email_key:
                raise Forbidden(f"your identity signs in as {linked.email}, not as the invited address")
            entry = _accepting(invitation, linked, address, sso=issuer)
            if not await db.claim(self.pool, invitation.id, linked.id, entry):
                raise Gone("this invitation can no longer be accepted")
            await self._join(invitation, linked, address)
            return linked
        taken = Forbidden(
            f"{invitation.email} has an account not linked to this identity: sign in to it as you usually"
            " do, then accept"
        )
        if await accounts_db.credentials(self.pool, invitation.email_key) is not None:
            raise taken
        async with unit(self.pool) as work:
            made = await links.insert_linked_user(
                work.conn, issuer, subject, invitation.email, invitation.email_key
            )
            if made is None:  # made a moment ago, or the identity linked meanwhile
                raise taken
            entry = _accepting(invitation, made, address, created=True, sso=issuer)
            if not await db.claim(work.conn, invitation.id, made.id, entry):
                raise Gone("this invitation can no longer be accepted")
        await self._join(invitation, made, address)
        return made

    async def accept(
        self, token: str, password: str | None, signed_in: User | None, address: str
    ) -> Accepted:
        """Accept an invitation: see the module's docstring for who may."""
        invitation = await self.find(token)
        existing = await accounts_db.credentials(self.pool, invitation.email_key)
        if existing is not None:
            user = existing[0]
            if signed_in is None or signed_in.id != user.id:
                raise Forbidden(
                    f"{invitation.email} has an account: sign in as {invitation.email}, then accept"
                )
            if not await db.claim(self.pool, invitation.id, user.id, _accepting(invitation, user, address)):
                raise Gone("this invitation can no longer be accepted")
            await self._join(invitation, user, address)
            return Accepted(user=user, workspace_id=invitation.workspace_id, created=False)
        if password is None:
            raise InvalidInput("choose a password: this invitation makes a new account")
        passwords.check_strength(password, self.settings.auth.password_min_length)
        hashed = await passwords.hash_password(password)
        async with unit(self.pool) as work:
            user_made = await db.create_user(work.conn, invitation.email, invitation.email_key, hashed)
            if user_made is None:  # made a moment ago, by another invitation's link
                raise Forbidden(f"{invitation.email} has an account: sign in as it, then accept")
            entry = _accepting(invitation, user_made, address, created=True)
            if not await db.claim(work.conn, invitation.id, user_made.id, entry):
                raise Gone("this invitation can no longer be accepted")
        await self._join(invitation, user_made, address)
        session_id = await self._sign_in(user_made, address)
        return Accepted(
            user=user_made, workspace_id=invitation.workspace_id, created=True, session_id=session_id
        )

    async def _join(self, invitation: Invitation, user: User, address: str) -> None:
        entry = Entry(
            action=Action.MEMBER_ADD, actor="user", user_id=user.id, address=address,
            workspace_id=invitation.workspace_id,
        )  # fmt: skip
        async with unit(self.pool) as work:
            await accounts_db.set_membership(
                work.conn, user.id, invitation.workspace_id, invitation.role, entry
            )

    async def _sign_in(self, user: User, address: str) -> str:
        """A session for an account just made, as ``POST /auth/login`` opens one."""
        session_id = passwords.new_secret("")
        entry = Entry(
            action=Action.LOGIN, actor="user", user_id=user.id, address=address,
            detail={"email": user.email, "via": "invitation"},
        )  # fmt: skip
        async with unit(self.pool) as work:
            await accounts_db.create_session(
                work.conn, passwords.digest(session_id), user.id, self.settings.auth.session_max_age, entry
            )
        return session_id


def _accepting(
    invitation: Invitation, user: User, address: str, *, created: bool = False, sso: str | None = None
) -> Entry:
    detail: dict[str, object] = {
        "email": invitation.email, "role": invitation.role.value, "account_created": created
    }  # fmt: skip
    if sso is not None:
        detail["sso"] = sso
    return Entry(
        action=Action.INVITATION_ACCEPT, actor="user", user_id=user.id, address=address, detail=detail
    )  # fmt: skip


def _managed(principal: Principal) -> uuid.UUID:
    require(principal, Scope.MANAGE)
    assert principal.workspace_id is not None
    return principal.workspace_id
