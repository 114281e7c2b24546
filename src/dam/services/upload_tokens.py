"""Upload tokens: minting one for a page on another site, listing and revoking them, and holding
each to its limits while pages upload with it (``services/uploads.py`` asks here).

A token's own limits: the types it may upload, ``max_bytes`` per file, ``max_files`` files in all
and ``max_total_bytes`` stored in all, until it expires; and every token is rate-limited per client
address (``DAM_UPLOAD_TOKEN_RATE`` assets a minute), in Redis, shared by every API process.

Who may list and revoke: workspace admins every token of the workspace; anyone else who may
upload (contributor and up) the tokens they minted themselves, in a browser or with any of their
keys (a key of ``dam admin``, which belongs to no user, the tokens it minted). Any other token,
another workspace's included, is answered as an unknown one.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import uuid

import msgspec
from redis.exceptions import RedisError

from dam import keys, kv
from dam.db import accounts as account_rows
from dam.db import assets as asset_rows
from dam.db import query
from dam.db import upload_tokens as db
from dam.domain import audit, validation
from dam.domain.access import Principal, Scope, allows, require
from dam.domain.accounts import UploadToken
from dam.domain.audit import Action
from dam.domain.errors import (
    DamError,
    Forbidden,
    InvalidInput,
    NotFound,
    QueueUnavailable,
    RateLimited,
    Unauthenticated,
)
from dam.resources import Resources
from dam.services import passwords
from dam.services.auth import TOKEN_PREFIX
from dam.services.unit import unit

log = logging.getLogger(__name__)
WINDOW = 60.0  # seconds over which a token's asset creations from one address are counted
REVOKED = "upload stopped: its upload token was revoked"


class NewToken(msgspec.Struct, frozen=True, kw_only=True):
    """An upload token just created: the secret is shown this once."""

    token: UploadToken
    secret: str


class TokenPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of tokens, newest first."""

    items: list[UploadToken]
    next_cursor: str | None


class UploadTokens:
    """Upload tokens and their limits."""

    def __init__(self, resources: Resources) -> None:
        self.settings = resources.settings
        self.pool = resources.pool
        self.storage = resources.storage
        self.redis = resources.queue

    # -- minting, listing, revoking ---------------------------------------------------------

    async def create(
        self,
        principal: Principal,
        expires_in: int,
        content_types: list[str] | None,
        max_bytes: int | None,
        max_files: int | None = None,
        max_total_bytes: int | None = None,
    ) -> NewToken:
        """An upload token for the principal's workspace (contributors and up)."""
        require(principal, Scope.UPLOAD)
        if principal.kind == "upload_token":
            raise Forbidden("an upload token cannot mint upload tokens")
        assert principal.workspace_id is not None
        limits = self.settings.upload
        cap = self.settings.auth.upload_token_max_ttl
        if not 1 <= expires_in <= cap:
            raise InvalidInput(f"expires_in must be 1 to {cap} seconds (DAM_UPLOAD_TOKEN_MAX_TTL)")
        if max_bytes is not None and not 1 <= max_bytes <= limits.max_upload_bytes:
            raise InvalidInput(f"max_bytes must be 1 to {limits.max_upload_bytes} (DAM_MAX_UPLOAD_BYTES)")
        if max_files is not None and max_files < 1:
            raise InvalidInput("max_files must be at least 1")
        if max_total_bytes is not None and max_total_bytes < 1:
            raise InvalidInput("max_total_bytes must be at least 1")
        types = None
        if content_types is not None:
            types = [_allowed_type(t, limits.allowed_content_types) for t in content_types]
        secret = passwords.new_secret(TOKEN_PREFIX)
        detail = {
            "content_types": types, "max_bytes": max_bytes, "max_files": max_files,
            "max_total_bytes": max_total_bytes,
        }  # fmt: skip
        token = await account_rows.insert_token(
            self.pool, workspace_id=principal.workspace_id, digest=passwords.digest(secret),
            content_types=types, max_bytes=max_bytes, max_files=max_files, max_total_bytes=max_total_bytes,
            created_by=principal.user_id, created_by_key=principal.key_id, expires_in=expires_in,
            audit=audit.by(principal, Action.TOKEN_CREATE, detail=detail),
        )  # fmt: skip
        return NewToken(token=token, secret=secret)

    async def list(self, principal: Principal, *, cursor: str | None, limit: int) -> TokenPage:
        """The tokens the principal may see (see the module's note), newest first."""
        workspace_id, creator = self._scope(principal)
        after = query.decode(cursor, db.NEWEST) if cursor else None
        rows = await db.list_tokens(self.pool, workspace_id, creator, after=after, limit=limit + 1)
        items, next_cursor = query.page(rows, limit, db.NEWEST)
        return TokenPage(items=items, next_cursor=next_cursor)

    async def revoke(self, principal: Principal, token_id: uuid.UUID) -> UploadToken:
        """Revoke a token (again is no change) and stop its uploads in progress: multipart
        uploads are aborted and their assets fail; a form already signed is refused, and its
        object deleted, if it lands (``Uploads.complete``)."""
        workspace_id, creator = self._scope(principal)
        token = await db.revoke(
            self.pool, token_id, workspace_id, creator, audit.by(principal, Action.TOKEN_REVOKE)
        )
        if token is None:
            raise NotFound(f"upload token {token_id} not found")
        for asset in await asset_rows.pending_of_token(self.pool, token.id):
            if asset.upload_id is None:
                continue  # a form: refused when (if) its object lands, or expired by the reconciler
            try:
                await self.storage.abort_multipart(asset.storage_key, asset.upload_id)
                async with unit(self.pool, one_statement=True) as work:
                    if await asset_rows.fail_upload(work.conn, asset.id, REVOKED) is not None:
                        work.touched(asset.id)
            except DamError as exc:  # the completion check refuses it all the same
                log.warning("upload of %s not stopped at once: %s", asset.id, exc.detail)
        return token

    def _scope(self, principal: Principal) -> tuple[uuid.UUID, db.Creator | None]:
        """The workspace, and whose tokens in it (None: every token, for admins)."""
        require(principal, Scope.UPLOAD)
        if principal.kind == "upload_token":
            raise Forbidden("an upload token cannot manage upload tokens")
        assert principal.workspace_id is not None
        if allows(principal, Scope.MANAGE):
            return principal.workspace_id, None
        if principal.user_id is not None:
            return principal.workspace_id, db.Creator(user_id=principal.user_id)
        return principal.workspace_id, db.Creator(key_id=principal.key_id)

    # -- holding pages to their limits ------------------------------------------------------

    async def check_rate(self, principal: Principal) -> None:
        """Count an asset the token creates from the principal's address; 429 past
        ``DAM_UPLOAD_TOKEN_RATE`` within a minute (503 while Redis is down: no limit, no uploads)."""
        assert principal.token_id is not None
        bucket = keys.upload_rate_key(
            self.settings.redis.queue_name, str(principal.token_id), (principal.address or "unknown")[:64]
        )
        now, member = time.time(), uuid.uuid4().hex
        try:
            count, oldest = await kv.window_add(self.redis, bucket, member, now, WINDOW)
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(
                f"uploads with upload tokens are unavailable: the rate limiter (Redis) is down: {exc}"[:300]
            ) from exc
        limit = self.settings.auth.upload_token_rate
        if count <= limit:
            return
        with contextlib.suppress(RedisError, OSError):
            await kv.window_remove(self.redis, bucket, member)  # a refused attempt does not hold it open
        wait = max(1, math.ceil(oldest + WINDOW - now)) if oldest is not None else int(WINDOW)
        raise RateLimited(
            f"this upload token has created {limit} files from your address within a minute"
            f" (DAM_UPLOAD_TOKEN_RATE); try again in {wait} s",
            wait,
        )

    async def take_file(self, token_id: uuid.UUID) -> db.Taken:
        """Count a new asset against the token's ``max_files``; 403 when it has created them all
        or its uploads have stored its ``max_total_bytes``."""
        taken = await db.take_file(self.pool, token_id)
        if taken is not None:
            return taken
        token = await db.get_token(self.pool, token_id)
        if token is None or token.revoked_at is not None:
            raise Unauthenticated("the upload token is not valid, has expired or has been revoked")
        if token.max_files is not None and token.files_used >= token.max_files:
            raise Forbidden(f"this upload token has created its max_files ({token.max_files}) files")
        raise Forbidden(
            f"this upload token's uploads have stored its max_total_bytes ({token.max_total_bytes})"
        )

    async def give_back(self, token_id: uuid.UUID) -> None:
        """Uncount a file whose asset could not be created."""
        with contextlib.suppress(DamError):
            await db.give_back(self.pool, token_id)


def _allowed_type(value: str, allowed: tuple[str, ...]) -> str:
    """A type or family (``image/*``) an upload token may allow: one the deployment accepts."""
    pattern = validation.clean_content_type_filter(value)
    probe = pattern[:-1] + "x" if pattern.endswith("/*") else pattern
    if not validation.accepts(probe, allowed):
        raise InvalidInput(f"content type {value[:64]!r} is not allowed here; allowed: {', '.join(allowed)}")
    return pattern
