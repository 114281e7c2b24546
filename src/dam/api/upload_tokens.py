"""Upload token routes: mint one for a page on another site, list them, revoke one.

Who may: anyone who may upload (contributor and up, or a key) mints tokens, and lists and revokes
the tokens they minted; workspace admins list and revoke every token of the workspace. A token of
another workspace, or another member's for a non-admin, answers 404 as an unknown id does. The
secret is shown once, when the token is minted, and never listed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import Meta

from dam.api.access import policy, public_base
from dam.api.errors import responses
from dam.domain.access import Principal, Scope, needs
from dam.domain.accounts import UploadToken
from dam.domain.validation import parse_id
from dam.services.upload_tokens import UploadTokens

Id = Annotated[str, PathParameter(description="A UUID", schema_extra={"format": "uuid"})]
UPLOADERS = policy(needs(Scope.UPLOAD))


class NewUploadToken(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /upload-tokens``: what a page on another site may upload, how much, and for how long."""

    expires_in: Annotated[int, Meta(ge=1, description="Seconds, at most DAM_UPLOAD_TOKEN_MAX_TTL")]
    content_types: (
        Annotated[list[Annotated[str, Meta(max_length=255)]], Meta(min_length=1, max_length=50)] | None
    ) = None
    max_bytes: (
        Annotated[int, Meta(ge=1, description="Bytes per file, at most DAM_MAX_UPLOAD_BYTES")] | None
    ) = None
    max_files: Annotated[int, Meta(ge=1, le=1_000_000, description="Files (assets) in all")] | None = None
    max_total_bytes: (
        Annotated[int, Meta(ge=1, description="Bytes the token's uploads may store in all")] | None
    ) = None


class UploadTokenCreated(msgspec.Struct, kw_only=True):
    """A new upload token (shown this once) and the Companion endpoint built on it (Uppy's
    ``companionEndpoint``); ``id`` is how the token is listed and revoked."""

    id: uuid.UUID
    token: str
    expires_at: datetime
    companion_endpoint: str


class UploadTokenOut(msgspec.Struct, kw_only=True):
    """An upload token (never its secret): its limits, what it has used, who minted it."""

    id: uuid.UUID
    content_types: list[str] | None
    max_bytes: int | None
    max_files: int | None
    max_total_bytes: int | None
    files_used: int
    bytes_used: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    created_by: uuid.UUID | None  # the user who minted it (in a browser or with a key of theirs)
    created_by_key: uuid.UUID | None  # the key it was minted with, if any


class UploadTokenPage(msgspec.Struct, kw_only=True):
    """One page of ``GET /upload-tokens``, newest first."""

    items: list[UploadTokenOut]
    next_cursor: str | None


def token_out(token: UploadToken) -> UploadTokenOut:
    """A token's public fields."""
    return UploadTokenOut(
        id=token.id, content_types=token.content_types, max_bytes=token.max_bytes, max_files=token.max_files,
        max_total_bytes=token.max_total_bytes, files_used=token.files_used, bytes_used=token.bytes_used,
        created_at=token.created_at, expires_at=token.expires_at, revoked_at=token.revoked_at,
        created_by=token.created_by, created_by_key=token.created_by_key,
    )  # fmt: skip


class UploadTokenController(Controller):
    """Upload tokens for pages on other sites (the Companion routes under ``/uploads/{token}``)."""

    path = "/upload-tokens"
    tags = ("accounts",)

    @post(
        "", operation_id="createUploadToken", status_code=HTTP_201_CREATED, opt=UPLOADERS,
        responses=responses(400, 401, 403, 413, 415, 422, 503),
        summary="Create an upload token for a page on another site",
    )  # fmt: skip
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[NewUploadToken],
        principal: NamedDependency[Principal], upload_tokens: NamedDependency[UploadTokens],
    ) -> UploadTokenCreated:  # fmt: skip
        """A token for Uppy's `companionEndpoint` (the Companion routes under
        `/uploads/{token}/s3/...`): uploads into this workspace only, within its types, its
        `max_bytes` per file, `max_files` files and `max_total_bytes` in all, until it expires.
        Mint one per page view on the embedding site's backend."""
        made = await upload_tokens.create(
            principal,
            data.expires_in,
            data.content_types,
            data.max_bytes,
            data.max_files,
            data.max_total_bytes,
        )
        return UploadTokenCreated(
            id=made.token.id,
            token=made.secret,
            expires_at=made.token.expires_at,
            companion_endpoint=f"{public_base(request)}/uploads/{made.secret}",
        )

    @get(
        "", operation_id="listUploadTokens", opt=UPLOADERS, responses=responses(400, 401, 403, 422, 503),
        summary="List upload tokens (never their secrets)",
    )  # fmt: skip
    async def list(
        self,
        principal: NamedDependency[Principal],
        upload_tokens: NamedDependency[UploadTokens],
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="Page size")] = 50,
        cursor: Annotated[
            str | None, QueryParameter(max_length=512, description="`next_cursor` of the previous page")
        ] = None,
    ) -> UploadTokenPage:
        """The tokens you minted (workspace admins: every token of the workspace), newest first,
        expired and revoked ones too, with their limits and what they have used: `files_used`
        counts every asset a token created, `bytes_used` the bytes of its uploads that completed.
        Keyset-paginated: pass `next_cursor` back as `cursor`."""
        page = await upload_tokens.list(principal, cursor=cursor, limit=limit)
        return UploadTokenPage(items=[token_out(t) for t in page.items], next_cursor=page.next_cursor)

    @delete(
        "/{token_id:str}", operation_id="revokeUploadToken", status_code=HTTP_204_NO_CONTENT, opt=UPLOADERS,
        responses=responses(400, 401, 403, 404, 422, 503), summary="Revoke an upload token",
    )  # fmt: skip
    async def revoke(
        self,
        token_id: Id,
        principal: NamedDependency[Principal],
        upload_tokens: NamedDependency[UploadTokens],
    ) -> None:
        """The token answers 401 from now on and its uploads in progress stop: multipart uploads
        are aborted (their assets fail), and a form already signed is refused, its object deleted,
        when it lands. Its minter or a workspace admin; revoking again is 204 again."""
        await upload_tokens.revoke(principal, parse_id(token_id, "upload token id"))
