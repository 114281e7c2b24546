"""Single sign-on with an OpenID Connect provider: authorization code with PKCE (S256), ``state``
and ``nonce``.

``begin`` keeps the state's nonce and PKCE verifier in Redis for ten minutes and sends the browser
to the provider; ``take`` takes them back exactly once (a replayed or forged ``state`` finds
nothing), ``finish`` exchanges the code and checks the ID token's signature against the provider's keys (an
unknown key id fetches the key set once more, then fails), its issuer, audience, expiry and nonce,
before any user is looked up or made. Users are linked by issuer and subject, never by email alone.

A sign-in started from an invitation's link carries the invitation (its digest) and accepts it for
the provider's verified address only (``Invitations.accept_signed_on``): the invitation is the
admin's consent to that address, so ``DAM_OIDC_CREATE_USERS`` and the role claim do not apply, and
the account joins the invitation's workspace only. ``DAM_OIDC_ALLOWED_DOMAINS`` does: it says whose
sign-ins this provider may make at all, and an account made outside it could never sign in again.
"""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from redis.exceptions import RedisError

from dam import kv
from dam.db import accounts as db
from dam.db import sso as links
from dam.db.pool import Pool
from dam.domain.access import Role
from dam.domain.accounts import User, clean_email
from dam.domain.audit import Action, Entry
from dam.domain.errors import Conflict, InvalidInput, NotFound, QueueUnavailable, Unauthenticated, Unavailable
from dam.resources import Resources
from dam.services import passwords
from dam.services.auth import Auth, SignedIn
from dam.services.invitations import Invitations
from dam.services.unit import unit

STATE_TTL = 600  # seconds a sign-in may take at the provider
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
LEEWAY = 60  # seconds of clock difference allowed on exp / iat


class Pending(msgspec.Struct, frozen=True):
    """A sign-in at the provider, kept in Redis under its ``state`` until the callback takes it."""

    nonce: str
    verifier: str
    redirect_uri: str
    browser: str = ""  # the SHA-256 (hex) of the secret in the starting browser's cookie
    invitation: str = ""  # the SHA-256 (hex) of the invitation's token, for a sign-in that accepts it
    back: str = "/"  # the page's own path to return to, signed in or refused


class Started(msgspec.Struct, frozen=True, kw_only=True):
    """A sign-in sent to the provider: where to, and the secret that binds it to this browser (its
    cookie; the callback must bring it back)."""

    url: str
    browser: str


class Sso:
    """The OpenID Connect relying party."""

    def __init__(self, resources: Resources, auth: Auth) -> None:
        self.settings = resources.settings.oidc
        self.all_settings = resources.settings
        self.pool = resources.pool
        self.redis = resources.queue
        self.auth = auth
        self.invitations = Invitations(resources)
        self._discovery: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    @property
    def enabled(self) -> bool:
        """Whether single sign-on is configured."""
        return self.settings.enabled

    def _key(self, state: str) -> str:
        return f"{self.all_settings.redis.queue_name}:oidc:{passwords.digest(state).hex()}"

    async def begin(
        self, redirect_uri: str, address: str, invitation: str | None = None, back: str = "/"
    ) -> Started:
        """The provider's authorization URL for a new sign-in, bound to the browser that asked (a
        start is an anonymous write to Redis: limited per client address). With ``invitation`` (a
        link's token, which must still be acceptable: 404 or 410 otherwise) the sign-in accepts it;
        ``back`` (a path of this site) is where the callback sends the browser."""
        if not self.enabled:
            raise NotFound("single sign-on is not configured")
        await self.auth.limits.anonymous_write("sso-start", address, "sign-in starts from this address")
        invited = "" if invitation is None else (await self.invitations.digest_of(invitation)).hex()
        config = await self._config()
        state, nonce, verifier, browser = (passwords.new_secret("") for _ in range(4))
        pending = Pending(
            nonce=nonce, verifier=verifier, redirect_uri=redirect_uri,
            browser=passwords.digest(browser).hex(), invitation=invited, back=back,
        )  # fmt: skip
        try:
            await kv.put(self.redis, self._key(state), msgspec.json.encode(pending), STATE_TTL)
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(f"single sign-on is unavailable: Redis is down: {exc}"[:300]) from exc
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        query = {
            "response_type": "code", "client_id": self.settings.client_id, "redirect_uri": redirect_uri,
            "scope": "openid email profile", "state": state, "nonce": nonce,
            "code_challenge": challenge, "code_challenge_method": "S256",
        }  # fmt: skip
        return Started(url=f"{config['authorization_endpoint']}?{urlencode(query)}", browser=browser)

    async def take(self, state: str, browser: str | None) -> Pending:
        """The sign-in a callback's ``state`` names, once, in the browser that started it alone
        (``browser``: the secret of its cookie). Another browser opening the callback, as someone
        else's link, signs no one in (RFC 9700 §4.7)."""
        if not self.enabled:
            raise NotFound("single sign-on is not configured")
        try:
            raw = await kv.take(self.redis, self._key(state)) if state else None
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(f"single sign-on is unavailable: Redis is down: {exc}"[:300]) from exc
        if raw is None:
            raise Unauthenticated("the sign-in is unknown, expired or already used (state); start again")
        pending = msgspec.json.decode(raw, type=Pending)
        if not browser or not passwords.same(passwords.digest(browser), bytes.fromhex(pending.browser)):
            raise Unauthenticated(
                "this sign-in was started in another browser (or that took over ten minutes); start again"
            )
        return pending

    async def finish(self, pending: Pending, code: str, address: str) -> SignedIn:
        """Check the provider's answer to a sign-in ``take`` returned and sign its user in (a
        session, as a password sign-in). A sign-in started from an invitation accepts it first
        (Forbidden or Gone when it may not)."""
        claims = await self._id_token(code, pending)
        detail = {"email": "", "sso": self.settings.issuer}
        if pending.invitation:
            user = await self._invited(claims, bytes.fromhex(pending.invitation), address)
            detail["via"] = "invitation"
        else:
            user = await self._user(claims)
        detail["email"] = user.email
        session_id = passwords.new_secret("")
        entry = Entry(action=Action.LOGIN, actor="user", user_id=user.id, address=address, detail=detail)
        async with unit(self.pool) as work:
            await db.create_session(
                work.conn, passwords.digest(session_id), user.id, self.all_settings.auth.session_max_age,
                entry,
            )  # fmt: skip
        return SignedIn(user=user, session_id=session_id)

    # -- the provider -----------------------------------------------------------------------------

    async def _config(self) -> dict[str, Any]:
        if self._discovery is None:
            url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
            found = await self._get(url)
            if found.get("issuer") != self.settings.issuer:
                raise Unavailable(f"the provider's discovery names another issuer: {found.get('issuer')!r}")
            self._discovery = found
        return self._discovery

    async def _get(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                answer = await client.get(url)
                answer.raise_for_status()
                value: dict[str, Any] = answer.json()
                return value
        except (httpx.HTTPError, ValueError) as exc:
            raise Unavailable(f"the identity provider did not answer: {exc}"[:300]) from exc

    async def _key_set(self, *, fresh: bool = False) -> KeySet:
        if self._keys is None or fresh:
            config = await self._config()
            self._keys = KeySet.import_key_set(await self._get(config["jwks_uri"]))  # type: ignore[arg-type]
            self._keys_at = time.monotonic()
        return self._keys

    async def _id_token(self, code: str, pending: Pending) -> dict[str, Any]:
        config = await self._config()
        form = {
            "grant_type": "authorization_code", "code": code, "redirect_uri": pending.redirect_uri,
            "code_verifier": pending.verifier, "client_id": self.settings.client_id,
        }  # fmt: skip
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                answer = await client.post(
                    config["token_endpoint"], data=form,
                    auth=(self.settings.client_id, self.settings.client_secret),
                )  # fmt: skip
        except httpx.HTTPError as exc:
            raise Unavailable(f"the identity provider did not answer: {exc}"[:300]) from exc
        if answer.status_code != 200:
            raise Unauthenticated(f"the identity provider refused the code ({answer.status_code})")
        try:
            id_token = str(answer.json()["id_token"])
        except (ValueError, KeyError, TypeError):
            raise Unauthenticated("the identity provider sent no ID token") from None
        return await self._verified(id_token, pending.nonce)

    async def _verified(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims, once its signature, issuer, audience, expiry and nonce hold."""
        keys = await self._key_set()
        try:
            token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        except ValueError as exc:  # an unknown key id: the provider may have rotated its keys
            if "key" not in str(exc).lower() or time.monotonic() - self._keys_at < 60:
                raise Unauthenticated(f"the ID token's signing key is unknown: {exc}"[:300]) from None
            try:
                token = jwt.decode(id_token, await self._key_set(fresh=True), algorithms=ALGORITHMS)
            except (JoseError, ValueError) as again:
                raise Unauthenticated(f"the ID token's signing key is unknown: {again}"[:300]) from None
        except JoseError as exc:
            raise Unauthenticated(f"the ID token is not valid: {exc}"[:300]) from None
        claims: dict[str, Any] = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": self.settings.issuer},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise Unauthenticated(f"the ID token is not valid: {exc}"[:300]) from None
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.settings.client_id not in audiences:
            raise Unauthenticated("the ID token is not valid: it was issued for another client (aud)")
        if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:
            raise Unauthenticated("the ID token is not valid: azp does not name this client")
        return claims

    # -- users -----------------------------------------------------------------------------------

    async def _user(self, claims: dict[str, Any]) -> User:
        issuer, subject = self.settings.issuer, str(claims["sub"])
        email = claims.get("email")
        if email is not None and not self._verified_email(claims):
            raise Unauthenticated("the identity provider has not verified this email address")
        self._check_domain(email)
        role = self._role(claims)
        user = await links.linked_user(self.pool, issuer, subject)
        if user is None:
            if not self.settings.create_users:
                raise Unauthenticated("no account is linked to this identity; ask an admin for one")
            if not isinstance(email, str):
                raise Unauthenticated("the identity provider gave no email address")
            address, email_key = clean_email(email)
            if await db.credentials(self.pool, email_key) is not None:
                # Never linked by email alone: an account of that address was made another way.
                raise Unauthenticated("an account with this address exists already; an admin must link it")
            async with unit(self.pool) as work:
                user = await links.create_linked_user(work.conn, issuer, subject, address, email_key)
        workspace = await db.ensure_workspace(self.pool, self.settings.workspace)
        member = any(m.workspace_id == workspace.id for m in await db.memberships(self.pool, user.id))
        if role is not None or not member:
            async with unit(self.pool) as work:
                await db.set_membership(
                    work.conn, user.id, workspace.id, role or Role(self.settings.default_role),
                    Entry(action=Action.MEMBER_ADD, actor="system", workspace_id=workspace.id,
                          detail={"sso": issuer}),
                )  # fmt: skip
        return user

    async def _invited(self, claims: dict[str, Any], invitation: bytes, address: str) -> User:
        """Accept the invitation for the provider's verified address: the account that joins."""
        email = claims.get("email")
        if not isinstance(email, str):
            raise Unauthenticated("the identity provider gave no email address; the invitation needs one")
        if not self._verified_email(claims):
            raise Unauthenticated("the identity provider has not verified this email address")
        # The domains still apply: an account outside them could never sign in through SSO again.
        self._check_domain(email)
        issuer, subject = self.settings.issuer, str(claims["sub"])
        return await self.invitations.accept_signed_on(invitation, issuer, subject, email, address)

    def _check_domain(self, email: object) -> None:
        if self.settings.allowed_domains:
            domain = str(email or "").rpartition("@")[2].lower()
            if domain not in {d.lower() for d in self.settings.allowed_domains}:
                raise Unauthenticated(f"sign-in is not open to addresses of {domain or 'no domain'!r}")

    def _verified_email(self, claims: dict[str, Any]) -> bool:
        """``email_verified`` true (some providers send the string); a missing claim counts as false
        unless ``DAM_OIDC_TRUST_UNVERIFIED_EMAIL`` says this provider gives verified addresses only."""
        verified = claims.get("email_verified")
        if verified is None:
            return self.settings.trust_unverified_email
        return verified is True or verified == "true"

    def _role(self, claims: dict[str, Any]) -> Role | None:
        """The highest role the claim maps to (None: no mapping applies)."""
        if not self.settings.role_claim:
            return None
        values = claims.get(self.settings.role_claim)
        given = {str(v) for v in (values if isinstance(values, list) else [values]) if v is not None}
        mapping = dict(pair.split("=", 1) for pair in self.settings.role_map if "=" in pair)
        roles = [Role(mapping[v].strip()) for v in given if v in mapping]
        return max(roles, key=lambda r: r.rank) if roles else None


async def link_identity(pool: Pool, email: str, issuer: str, subject: str) -> tuple[User, bool]:
    """Link an existing account to an identity of a provider (``dam admin link-identity``): the
    user and whether this call linked it (False: it was linked to them already). The identity of
    another account is refused; users are never linked by email alone, so an account made with a
    password joins single sign-on only this way."""
    if not issuer.strip() or not subject.strip():
        raise InvalidInput("both the issuer and the subject are needed")
    if len(issuer) > 2048 or len(subject) > 255:
        raise InvalidInput("the issuer or the subject is too long (2048 and 255 characters at most)")
    _, email_key = clean_email(email)
    found = await db.credentials(pool, email_key)
    if found is None:
        raise NotFound(f"no account has the address {email[:320]!r}")
    user = found[0]
    entry = Entry(action=Action.IDENTITY_LINK, actor="system", detail={"issuer": issuer, "subject": subject})
    async with unit(pool) as work:
        linked, made = await links.link(work.conn, issuer, subject, user.id, entry)
    if linked != user.id:
        other = await db.get_user(pool, linked)
        raise Conflict(
            f"that identity is linked to another account ({other.email if other else linked}) already"
        )
    return user, made
