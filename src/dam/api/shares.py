"""Share-link routes: editors make, list and revoke links of an asset or a collection; anyone
holding one reads what it shows (``GET /shares/{token}``; ``/s/{token}`` sends a browser to the web
app's page of it), after its password if it asks for one. A workspace admin caps how long links may
live (``/workspace/settings``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.response import File, Redirect
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT, HTTP_302_FOUND, HTTP_404_NOT_FOUND
from msgspec import Meta

from dam.api.access import browser_cookie, policy, public_base
from dam.api.addresses import client_address
from dam.api.assets import AssetId, Limit
from dam.api.collections import CollectionId
from dam.api.errors import responses
from dam.api.webapp import PREFIX
from dam.domain.access import SHARE_LINK, Principal, Scope, needs
from dam.domain.errors import NotFound
from dam.domain.shares import Share, SharedAsset, SharedCollection, SharedMember, visit_cookie
from dam.domain.validation import parse_asset_id, parse_id
from dam.paths import pages_dir
from dam.services.shares import Shares

EDIT_ANY = policy(needs(Scope.EDIT_ANY))
MANAGE = policy(needs(Scope.MANAGE))
ShareRef = Annotated[
    str,
    PathParameter(
        description="The share link's token (the last segment of its `url`) to read it, its `id` to revoke it"
    ),
]


class NewShareLink(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /assets/{asset_id}/shares``."""

    expires_in: Annotated[int, Meta(ge=1, description="Seconds, at most the workspace's cap (30 days)")]
    download: Annotated[bool, Meta(description="Whether visitors may download the original")]
    password: (
        Annotated[
            str, Meta(min_length=1, max_length=1024, description="Visitors give it once; 8+ characters")
        ]
        | None
    ) = None
    show_metadata: Annotated[
        bool, Meta(description="false hides the facts (camera, GPS, capture time, streams)")
    ] = True


class ShareCreated(msgspec.Struct, kw_only=True):
    """A new share link: `url` (whose last segment is the token) is shown this once."""

    id: str
    url: str
    expires_at: datetime


class ShareOut(msgspec.Struct, kw_only=True):
    """A share link as its asset lists it (never its token)."""

    id: str
    asset_id: str
    download: bool
    show_metadata: bool
    password: bool
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    uses: int
    active: bool


class Unlock(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /shares/{token}/unlock``."""

    password: Annotated[str, Meta(min_length=1, max_length=1024)]


class WorkspaceSettings(msgspec.Struct, kw_only=True):
    """A workspace's own settings."""

    share_max_ttl: int | None = msgspec.field(default=None)
    share_max_ttl_limit: int = 0


class WorkspaceSettingsChange(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``PATCH /workspace/settings``: null clears the workspace's cap (the deployment's applies)."""

    share_max_ttl: Annotated[int, Meta(ge=1, description="Seconds, at most DAM_SHARE_MAX_TTL")] | None


def share_out(share: Share) -> ShareOut:
    """The API's shape of a share link."""
    return ShareOut(
        id=str(share.id), asset_id=str(share.asset_id), download=share.download,
        show_metadata=share.show_metadata, password=share.password, created_at=share.created_at,
        expires_at=share.expires_at, revoked_at=share.revoked_at, last_used_at=share.last_used_at,
        uses=share.uses, active=share.revoked_at is None and share.expires_at > datetime.now(UTC),
    )  # fmt: skip


class ShareController(Controller):
    """Share links."""

    path = "/"
    tags = ("shares",)

    @post(
        "/assets/{asset_id:str}/shares", operation_id="createShare", status_code=HTTP_201_CREATED,
        opt=EDIT_ANY, responses=responses(400, 401, 403, 404, 413, 415, 422, 503),
        summary="Make a share link of an asset",
    )  # fmt: skip
    async def create(
        self, request: Request[Any, Any, Any], asset_id: AssetId, data: JSONBody[NewShareLink],
        principal: NamedDependency[Principal], shares: NamedDependency[Shares],
    ) -> ShareCreated:  # fmt: skip
        """A link anyone may open, without an account, until it expires (editors and up). The
        token is the last segment of `url`, shown this once."""
        made = await shares.create(
            principal, parse_asset_id(asset_id), expires_in=data.expires_in, password=data.password,
            download=data.download, show_metadata=data.show_metadata,
        )  # fmt: skip
        return ShareCreated(
            id=str(made.share.id),
            url=f"{public_base(request)}/s/{made.secret}",
            expires_at=made.share.expires_at,
        )

    @get(
        "/assets/{asset_id:str}/shares", operation_id="listShares", opt=EDIT_ANY,
        responses=responses(400, 401, 403, 404, 422, 503), summary="List an asset's share links",
    )  # fmt: skip
    async def of_asset(
        self, asset_id: AssetId, principal: NamedDependency[Principal], shares: NamedDependency[Shares]
    ) -> list[ShareOut]:
        """Every link of the asset, newest first, revoked and expired ones included (editors and up)."""
        return [share_out(s) for s in await shares.of_asset(principal, parse_asset_id(asset_id))]

    @delete(
        "/shares/{share:str}", operation_id="revokeShare", status_code=HTTP_204_NO_CONTENT, opt=EDIT_ANY,
        responses=responses(400, 401, 403, 404, 422, 503), summary="Revoke a share link",
    )  # fmt: skip
    async def revoke(
        self, share: ShareRef, principal: NamedDependency[Principal], shares: NamedDependency[Shares]
    ) -> None:
        """The link answers 404 from now on, as an unknown one does (editors and up; by its `id`)."""
        await shares.revoke(principal, parse_id(share, "share link id"))

    @get(
        "/shares/{share:str}", operation_id="openShare", opt=policy(SHARE_LINK),
        responses=responses(400, 401, 404, 429, 503), summary="What a share link shows",
    )  # fmt: skip
    async def open(
        self, request: Request[Any, Any, Any], share: ShareRef, shares: NamedDependency[Shares],
        limit: Limit = 50,
        cursor: Annotated[
            str | None,
            QueryParameter(
                max_length=512, description="A collection's link: `next_cursor` of the previous page"
            ),
        ] = None,
    ) -> SharedAsset | SharedCollection:  # fmt: skip
        """An asset's link: the asset's name, type, facts (unless the link hides them), preview,
        playback and (if allowed) download URLs, each presigned for no longer than the link lives.
        A collection's link: the collection's name and description and a page of its assets in its
        order (`limit`, `cursor`), each shown as an asset's link shows it, with its `id`. 401
        `password_required` until this visitor has unlocked a link that asks for a password; 404
        alike for unknown, expired and revoked links; 429 past `DAM_ANONYMOUS_MAX_PER_MINUTE` opens a
        minute from one address. An open is recorded (`uses`, the audit log) once per visitor an hour."""
        address = client_address(request)
        return await shares.open(
            share, request.cookies.get, address, base=public_base(request), cursor=cursor, limit=limit
        )

    @get(
        "/shares/{share:str}/assets/{asset_id:str}", operation_id="openSharedAsset", opt=policy(SHARE_LINK),
        responses=responses(400, 401, 404, 422, 429, 503), summary="One asset a share link shows",
    )  # fmt: skip
    async def open_member(
        self,
        request: Request[Any, Any, Any],
        share: ShareRef,
        asset_id: AssetId,
        shares: NamedDependency[Shares],
    ) -> SharedMember:
        """One asset of a shared collection, as `GET /shares/{token}` shows its items (an asset's
        link reaches its own asset alone). 404 for an asset the link does not show, as for an
        unknown one, and as for unknown, expired and revoked links."""
        address = client_address(request)
        return await shares.open_member(
            share, parse_asset_id(asset_id), request.cookies.get, address, base=public_base(request)
        )

    @post(
        "/collections/{collection_id:str}/shares", operation_id="createCollectionShare",
        status_code=HTTP_201_CREATED, opt=EDIT_ANY, summary="Make a share link of a collection",
        responses=responses(400, 401, 403, 404, 413, 415, 422, 503),
    )  # fmt: skip
    async def create_for_collection(
        self, request: Request[Any, Any, Any], collection_id: CollectionId, data: JSONBody[NewShareLink],
        principal: NamedDependency[Principal], shares: NamedDependency[Shares],
    ) -> ShareCreated:  # fmt: skip
        """A link to the collection's own assets (not the collections below it), with the options of
        an asset's link (editors and up); revoked with `DELETE /shares/{id}`."""
        made = await shares.create_for_collection(
            principal, parse_id(collection_id, "collection id"), expires_in=data.expires_in,
            password=data.password, download=data.download, show_metadata=data.show_metadata,
        )  # fmt: skip
        return ShareCreated(
            id=str(made.share.id),
            url=f"{public_base(request)}/s/{made.secret}",
            expires_at=made.share.expires_at,
        )

    @post(
        "/shares/{share:str}/unlock", operation_id="unlockShare", status_code=HTTP_204_NO_CONTENT,
        opt=policy(SHARE_LINK), responses=responses(400, 401, 404, 413, 415, 422, 429, 503),
        summary="Give a share link's password",
    )  # fmt: skip
    async def unlock(
        self, request: Request[Any, Any, Any], share: ShareRef, data: JSONBody[Unlock],
        shares: NamedDependency[Shares],
    ) -> Response[None]:  # fmt: skip
        """Sets the cookie of this link alone, for as long as it lives; the 6th wrong password within
        a minute, for the link or from one address, is 429."""
        address = client_address(request)
        found, visit = await shares.unlock(share, data.password, address)
        max_age = max(1, int((found.expires_at - datetime.now(UTC)).total_seconds()))
        cookie = browser_cookie(request, visit_cookie(found.id), visit, max_age)
        return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=[cookie])

    @get(
        "/workspace/settings", operation_id="getWorkspaceSettings", opt=MANAGE,
        responses=responses(400, 401, 403, 503), summary="The workspace's settings",
    )  # fmt: skip
    async def settings(
        self, principal: NamedDependency[Principal], shares: NamedDependency[Shares]
    ) -> WorkspaceSettings:
        """The workspace's own cap on share links (null: the deployment's, `share_max_ttl_limit`)."""
        return await _settings(principal, shares)

    @patch(
        "/workspace/settings", operation_id="changeWorkspaceSettings", opt=MANAGE,
        responses=responses(400, 401, 403, 413, 415, 422, 503), summary="Change the workspace's settings",
    )  # fmt: skip
    async def change_settings(
        self, data: JSONBody[WorkspaceSettingsChange], principal: NamedDependency[Principal],
        shares: NamedDependency[Shares],
    ) -> WorkspaceSettings:  # fmt: skip
        """Cap how long the workspace's share links may live (admins); null clears the cap."""
        await shares.set_cap(principal, data.share_max_ttl)
        return await _settings(principal, shares)


async def _settings(principal: Principal, shares: Shares) -> WorkspaceSettings:
    return WorkspaceSettings(
        share_max_ttl=await shares.own_cap(principal), share_max_ttl_limit=shares.settings.auth.share_max_ttl
    )


def share_page() -> Any:
    """``/s/{token}``, the address a share link gives: the web app's share page
    (``/app/s/{token}``), or the 404 page alike for unknown, expired and revoked links."""
    gone = pages_dir() / "share-gone.html"

    @get(
        "/s/{token:str}", media_type=MediaType.HTML, include_in_schema=False, opt=policy(SHARE_LINK),
    )  # fmt: skip
    async def page(token: ShareRef, shares: NamedDependency[Shares]) -> Response[Any]:
        try:
            await shares.find(token)
        except NotFound:
            return File(
                gone, content_disposition_type="inline", media_type=MediaType.HTML,
                status_code=HTTP_404_NOT_FOUND,
            )  # fmt: skip
        # The token stays in the path (the request log names the route's template, never the path)
        # and no page of ours sends a Referer.
        return Redirect(f"{PREFIX}/s/{quote(token, safe='')}", status_code=HTTP_302_FOUND)

    return page
