"""Who is asking: API keys, browser sessions and upload tokens become principals; sign-in with
rate limits shared by every API process (Redis, ``services/limits.py``); sign-out and password
changes end sessions.

The per-request paths (a key, a session) are one indexed lookup and a constant-time digest
comparison; argon2 runs only when a password is checked, in a thread.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from datetime import UTC, datetime

import msgspec

from dam.db import accounts as db
from dam.db import audit as audit_rows
from dam.domain.access import Principal, Role, UploadLimits
from dam.domain.accounts import Membership, User, clean_email
from dam.domain.audit import Action, Entry
from dam.domain.errors import Forbidden, InvalidInput, Unauthenticated
from dam.resources import Resources
from dam.services import passwords
from dam.services.limits import Limits
from dam.services.unit import unit

KEY_PREFIX = "dam_live_"
TOKEN_PREFIX = "dam_up_"  # noqa: S105 - the visible start of every upload token
VISIBLE = 10  # characters of the secret shown (and looked up) after the prefix
_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")
TOUCH_EVERY = 60.0  # seconds between last-used / last-seen writes for one credential


class SignedIn(msgspec.Struct, frozen=True, kw_only=True):
    """A new session: its id goes into the cookie (and nowhere else)."""

    user: User
    session_id: str


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """Who a principal is: the user (none for a key made by ``dam admin``), their workspaces and
    roles, and the one the request acts in."""

    principal: Principal
    user: User | None
    memberships: list[Membership]
    workspace: Membership | None


def well_formed(secret: str, prefix: str) -> bool:
    """Whether a string has the shape of one of our secrets (checked before any lookup)."""
    return secret.startswith(prefix) and _SECRET.fullmatch(secret, len(prefix)) is not None


class Auth:
    """Authentication and sign-in."""

    def __init__(self, resources: Resources) -> None:
        self.settings = resources.settings
        self.pool = resources.pool
        self.limits = Limits(resources)
        self._touched: dict[uuid.UUID | bytes, float] = {}

    # -- credentials -> principals ------------------------------------------------------------

    async def key_principal(self, secret: str, workspace: str | None) -> Principal:
        """The principal of an API key; 401 unless it is well formed, known, live and unrevoked."""
        if not well_formed(secret, KEY_PREFIX):
            raise Unauthenticated("the API key is malformed")
        found = await db.key_by_prefix(self.pool, secret[: len(KEY_PREFIX) + VISIBLE])
        if found is None or not passwords.same(found[1], passwords.digest(secret)):
            raise Unauthenticated("the API key is not valid")
        key, _, creator_role = found
        if key.revoked_at is not None:
            raise Unauthenticated("the API key has been revoked")
        if key.expires_at is not None and key.expires_at <= datetime.now(UTC):
            raise Unauthenticated("the API key has expired")
        if workspace is not None and workspace != str(key.workspace_id):
            own = await db.get_workspace(self.pool, key.workspace_id)  # a key belongs to one workspace
            if own is None or workspace != own.slug:
                raise _not_member(workspace)
        role = key.role
        if key.created_by is not None:  # a user's key is never worth more than the user is now
            if creator_role is None:
                raise Unauthenticated("the API key's creator is no longer a member of its workspace")
            role = role if creator_role.covers(role) else creator_role
        if self._due(key.id) and (key.last_used_at is None or _age(key.last_used_at) > TOUCH_EVERY):
            await db.touch_key(self.pool, key.id)
        return Principal(
            kind="key", workspace_id=key.workspace_id, role=role, key_id=key.id, user_id=key.created_by
        )

    async def session_user(self, session_id: str) -> User:
        """The user of a live browser session; 401 when it has ended, idled out or never was."""
        if _SECRET.fullmatch(session_id) is None:
            raise Unauthenticated("sign in first: the session is not valid")
        digest = passwords.digest(session_id)
        found = await db.session_user(self.pool, digest, self.settings.auth.session_idle_timeout)
        if found is None:
            raise Unauthenticated("sign in again: the session has ended")
        user, seen = found
        if self._due(digest) and _age(seen) > TOUCH_EVERY:
            await db.touch_session(self.pool, digest)
        return user

    async def user_principal(self, user: User, workspace: str | None) -> Principal:
        """A signed-in user acting in the named workspace (by slug or id), or in their first."""
        memberships = await db.memberships(self.pool, user.id)
        chosen = choose(memberships, workspace)
        return Principal(
            kind="user",
            workspace_id=chosen.workspace_id if chosen else None,
            role=chosen.role if chosen else None,
            user_id=user.id,
            operator=user.operator,
        )

    async def token_principal(self, secret: str) -> Principal:
        """The principal of an upload token in a path; 401 unless it is well formed and live."""
        if not well_formed(secret, TOKEN_PREFIX):
            raise Unauthenticated("the upload token is malformed")
        found = await db.live_token(self.pool, passwords.digest(secret))
        if found is None:
            raise Unauthenticated("the upload token is not valid, has expired or has been revoked")
        token, creator_may = found
        if not creator_may:
            raise Unauthenticated("the upload token's creator can no longer upload in its workspace")
        limits = UploadLimits(
            content_types=tuple(token.content_types) if token.content_types else None,
            max_bytes=token.max_bytes,
            expires_at=token.expires_at.timestamp(),
        )
        return Principal(
            kind="upload_token", workspace_id=token.workspace_id, role=Role.CONTRIBUTOR,
            token_id=token.id, user_id=token.created_by, key_id=token.created_by_key, limits=limits,
        )  # fmt: skip

    def _due(self, ident: uuid.UUID | bytes) -> bool:
        now = time.monotonic()
        if now - self._touched.get(ident, -math.inf) < TOUCH_EVERY:
            return False
        if len(self._touched) > 10_000:
            self._touched.clear()
        self._touched[ident] = now
        return True

    # -- sign-in and sign-out -----------------------------------------------------------------

    def _password_buckets(self, email_key: str, address: str | None) -> tuple[list[str], str]:
        """The buckets an attempt at an account's password counts in (the account, then the client
        address), and the name of the account's one-check-at-a-time lock."""
        account = passwords.digest(email_key).hex()
        buckets = [self.limits.bucket("account", account)]
        if address is not None:
            buckets.append(self.limits.address_bucket("address", address))
        return buckets, f"account:{account}"

    async def login(self, email: str, password: str, address: str) -> SignedIn:
        """Check a password (at most ``DAM_LOGIN_MAX_FAILURES`` attempts a minute per account and per
        address, reserved before the check, then 429) and open a session."""
        try:
            _, email_key = clean_email(email)
        except InvalidInput:
            email_key = email.casefold()[:320]
        buckets, account = self._password_buckets(email_key, address)
        async with self.limits.attempt(buckets, exclusive=account, what="failed sign-ins") as attempt:
            found = await db.credentials(self.pool, email_key)
            ok = attempt.checked(await passwords.verify_password(password, found[1] if found else None))
        if not ok or found is None:
            # Only attempts within the limits get this far: at most DAM_LOGIN_MAX_FAILURES rows a
            # minute from one address (or IPv6 /64).
            await audit_rows.record(
                self.pool,
                Entry(
                    action=Action.LOGIN, outcome="failed", actor="anonymous", address=address,
                    user_id=found[0].id if found else None, detail={"email": email[:320]},
                ),
            )  # fmt: skip
            raise Unauthenticated("wrong email or password")
        session_id = passwords.new_secret("")
        signed_in = Entry(
            action=Action.LOGIN, actor="user", user_id=found[0].id, address=address,
            detail={"email": found[0].email},
        )  # fmt: skip
        async with unit(self.pool) as work:
            await db.create_session(
                work.conn,
                passwords.digest(session_id),
                found[0].id,
                self.settings.auth.session_max_age,
                signed_in,
            )
        return SignedIn(user=found[0], session_id=session_id)

    async def logout(self, session_id: str) -> None:
        """End the session."""
        await db.end_session(self.pool, passwords.digest(session_id))

    async def change_password(
        self, user: User, current: str, new: str, address: str | None = None
    ) -> SignedIn:
        """Replace the password after checking the current one; every session ends and a new one
        opens for this browser. A wrong current password counts as a failed sign-in of the account;
        the ``DAM_LOGIN_MAX_FAILURES``-th within the window ends every session of the user (whoever
        holds this one is guessing)."""
        passwords.check_strength(new, self.settings.auth.password_min_length)
        buckets, account = self._password_buckets(clean_email(user.email)[1], address)
        async with self.limits.attempt(buckets, exclusive=account, what="failed sign-ins") as attempt:
            hashed = await db.password_hash(self.pool, user.id)
            ok = attempt.checked(await passwords.verify_password(current, hashed))
        if not ok:
            if attempt.position >= self.settings.auth.login_max_failures:
                await db.end_sessions(self.pool, user.id)
                raise Unauthenticated(
                    "the current password is wrong, too many times: every session of this account has"
                    " ended; sign in again"
                )
            raise Forbidden("the current password is wrong")
        hashed = await passwords.hash_password(new)
        async with unit(self.pool) as work:
            await db.set_password(work.conn, user.id, hashed)
        session_id = passwords.new_secret("")
        async with unit(self.pool) as work:
            await db.create_session(
                work.conn, passwords.digest(session_id), user.id, self.settings.auth.session_max_age
            )
        return SignedIn(user=user, session_id=session_id)

    async def identity(self, principal: Principal) -> Identity:
        """The user, workspaces and roles behind a principal (``GET /auth/me``)."""
        user = await db.get_user(self.pool, principal.user_id) if principal.user_id else None
        if principal.kind == "user":
            memberships = await db.memberships(self.pool, user.id) if user else []
        else:
            found = (
                await db.get_workspace(self.pool, principal.workspace_id) if principal.workspace_id else None
            )
            memberships = (
                [Membership(workspace_id=found.id, slug=found.slug, name=found.name, role=principal.role)]
                if found is not None and principal.role is not None
                else []
            )
        current = next((m for m in memberships if m.workspace_id == principal.workspace_id), None)
        return Identity(principal=principal, user=user, memberships=memberships, workspace=current)


def choose(memberships: list[Membership], workspace: str | None) -> Membership | None:
    """The membership a request acts in: the named workspace (slug or id), else the first."""
    if workspace is None:
        return memberships[0] if memberships else None
    for membership in memberships:
        if workspace in (membership.slug, str(membership.workspace_id)):
            return membership
    raise _not_member(workspace)


def _not_member(workspace: str) -> Forbidden:
    # The same words whether the workspace exists or not: no oracle of workspace names.
    return Forbidden(f"you are not a member of workspace {workspace[:64]!r}")


def _age(moment: datetime) -> float:
    return (datetime.now(UTC) - moment).total_seconds()
