"""Share links: one asset or one collection, read-only, for anyone holding the link, until it
expires or is revoked.

Editors and up make and revoke them; a workspace admin may cap their lifetime below the
deployment's ``DAM_SHARE_MAX_TTL``. A link may ask for a password (argon2id), given once per
visitor: the visitor then holds a cookie of that link alone (``share_visits``). Unknown, expired
and revoked links are one answer, 404, from the same single lookup.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import msgspec

from dam.db import assets as asset_rows
from dam.db import collections as collection_rows
from dam.db import shares as db
from dam.domain import audit
from dam.domain.access import Principal, Scope, require
from dam.domain.addresses import bucket
from dam.domain.assets import Asset
from dam.domain.audit import Action, Entry
from dam.domain.collections import Collection
from dam.domain.errors import InvalidInput, NotFound, PasswordRequired, Unauthenticated
from dam.domain.shares import (
    SHARE_PREFIX,
    Share,
    SharedAsset,
    SharedCollection,
    SharedCollectionInfo,
    SharedMember,
    audience_of,
    shared_asset,
    shared_member,
    visit_cookie,
)
from dam.domain.status import HIDDEN
from dam.keys import share_open_key
from dam.resources import Resources
from dam.services import collections, passwords, scoped
from dam.services.auth import Auth, well_formed
from dam.services.present import Presenter
from dam.services.unit import unit
from dam.services.webhooks import emit

SHARE_PASSWORD_MIN_LENGTH = 8
_GONE = "this share link does not exist, has expired or has been revoked"
VISIT_SECONDS = 3600  # a visitor's opens of a link within this long are recorded once


class NewShare(msgspec.Struct, frozen=True, kw_only=True):
    """A share link just made: the secret is shown this once."""

    share: Share
    secret: str


class Opened(msgspec.Struct, frozen=True, kw_only=True):
    """A live share link and the password hash it asks for (None: it asks for none)."""

    share: Share
    password_hash: str | None


class Shares:
    """Making, listing, revoking and opening share links."""

    def __init__(self, resources: Resources, auth: Auth) -> None:
        self.settings = resources.settings
        self.pool = resources.pool
        self.storage = resources.storage
        self.auth = auth
        self.present = Presenter(resources)

    # -- for members ---------------------------------------------------------------------------

    async def create(
        self,
        principal: Principal,
        asset_id: uuid.UUID,
        *,
        expires_in: int,
        password: str | None,
        download: bool,
        show_metadata: bool,
    ) -> NewShare:
        """A share link of an asset (editors and up), within the workspace's cap."""
        require(principal, Scope.EDIT_ANY)
        asset = await scoped.find(self.pool, asset_id, principal)
        if asset.status in HIDDEN:
            raise scoped.not_found(asset_id)
        return await self._make(
            principal, asset.workspace_id, asset_id=asset.id, expires_in=expires_in, password=password,
            download=download, show_metadata=show_metadata,
        )  # fmt: skip

    async def create_for_collection(
        self,
        principal: Principal,
        collection_id: uuid.UUID,
        *,
        expires_in: int,
        password: str | None,
        download: bool,
        show_metadata: bool,
    ) -> NewShare:
        """A share link of a collection (editors and up): its own members in its order (or what a
        smart one's query finds), each under the link's rules; not the collections below it."""
        require(principal, Scope.EDIT_ANY)
        assert principal.workspace_id is not None
        found = await collection_rows.get(self.pool, collection_id, principal.workspace_id)
        if found is None:
            raise collections.not_found(collection_id)
        return await self._make(
            principal, found.workspace_id, collection_id=found.id, expires_in=expires_in, password=password,
            download=download, show_metadata=show_metadata,
        )  # fmt: skip

    async def _make(
        self,
        principal: Principal,
        workspace_id: uuid.UUID,
        *,
        expires_in: int,
        password: str | None,
        download: bool,
        show_metadata: bool,
        asset_id: uuid.UUID | None = None,
        collection_id: uuid.UUID | None = None,
    ) -> NewShare:
        cap = await self.cap(principal)
        if not 1 <= expires_in <= cap:
            raise InvalidInput(f"expires_in must be 1 to {cap} seconds (the workspace's cap on share links)")
        hashed = None
        if password is not None:
            passwords.check_strength(password, SHARE_PASSWORD_MIN_LENGTH)
            hashed = await passwords.hash_password(password)
        secret = passwords.new_secret(SHARE_PREFIX)
        detail: dict[str, object] = {
            "expires_in": expires_in, "download": download, "show_metadata": show_metadata,
            "password": password is not None,
        }  # fmt: skip
        if collection_id is not None:
            detail["collection_id"] = str(collection_id)
        async with unit(self.pool) as work:
            share = await db.insert_share(
                work.conn, workspace_id=workspace_id, asset_id=asset_id, digest=passwords.digest(secret),
                password_hash=hashed, download=download, show_metadata=show_metadata,
                created_by=principal.user_id, expires_in=expires_in, collection_id=collection_id,
                created_by_key=principal.key_id if principal.kind == "key" else None,
                audit=audit.by(principal, Action.SHARE_CREATE, detail=detail),
            )  # fmt: skip
            await emit(work.conn, workspace_id, "share.created", {"share": _event_share(share)})
        return NewShare(share=share, secret=secret)

    async def of_asset(self, principal: Principal, asset_id: uuid.UUID) -> list[Share]:
        """An asset's share links (editors and up)."""
        require(principal, Scope.EDIT_ANY)
        asset = await scoped.find(self.pool, asset_id, principal)
        return await db.list_shares(self.pool, asset.id, asset.workspace_id)

    async def revoke(self, principal: Principal, share_id: uuid.UUID) -> Share:
        """Revoke a share link (editors and up); another workspace's is as unknown as a missing one."""
        require(principal, Scope.EDIT_ANY)
        assert principal.workspace_id is not None
        async with unit(self.pool) as work:
            share = await db.revoke_share(
                work.conn, share_id, principal.workspace_id, audit.by(principal, Action.SHARE_REVOKE)
            )
            if share is not None:
                await emit(work.conn, principal.workspace_id, "share.revoked", {"share": _event_share(share)})
        if share is None:
            raise NotFound(f"share link {share_id} not found")
        return share

    async def cap(self, principal: Principal) -> int:
        """The longest a share link of the principal's workspace may live, in seconds."""
        assert principal.workspace_id is not None
        own = await db.share_cap(self.pool, principal.workspace_id)
        deployment = self.settings.auth.share_max_ttl
        return deployment if own is None else min(own, deployment)

    async def own_cap(self, principal: Principal) -> int | None:
        """The workspace's own cap (admins), None when it has none."""
        require(principal, Scope.MANAGE)
        assert principal.workspace_id is not None
        return await db.share_cap(self.pool, principal.workspace_id)

    async def set_cap(self, principal: Principal, seconds: int | None) -> None:
        """Set or clear the workspace's cap on share links (admins), at most the deployment's."""
        require(principal, Scope.MANAGE)
        assert principal.workspace_id is not None
        limit = self.settings.auth.share_max_ttl
        if seconds is not None and not 1 <= seconds <= limit:
            raise InvalidInput(f"share_max_ttl must be 1 to {limit} seconds (DAM_SHARE_MAX_TTL)")
        await db.set_share_cap(self.pool, principal.workspace_id, seconds)

    # -- for anyone holding a link -----------------------------------------------------------------

    async def find(self, secret: str) -> Opened:
        """The live share link of a token; 404 alike for unknown, expired and revoked ones."""
        # A malformed token is looked up too (it matches nothing): every refusal costs the same.
        found = await db.live_share(self.pool, passwords.digest(secret))
        if found is None or not well_formed(secret, SHARE_PREFIX):
            raise NotFound(_GONE)
        return Opened(share=found[0], password_hash=found[1])

    async def open(
        self,
        secret: str,
        cookies: Callable[[str], str | None],
        address: str | None = None,
        base: str = "",
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> SharedAsset | SharedCollection:
        """What the link shows (``GET /shares/{token}``): its asset, or its collection and a page of
        the collection's assets (``cursor``, ``limit``). 401 ``password_required`` until this
        visitor has given the password; presigned URLs that outlive neither the link nor
        ``DAM_PRESIGN_GET_TTL``."""
        share = await self._unlocked(secret, cookies)
        if share.collection_id is None:
            assert share.asset_id is not None
            asset = await asset_rows.get_asset(self.pool, share.asset_id, share.workspace_id)
            if asset is None or asset.status in HIDDEN:
                raise NotFound(_GONE)
            await self._record_open(share, address or "unknown")
            return shared_asset(await self.present.detail(asset, audience_of(share)), share, base)
        found = await self._collection(share)
        assets, next_cursor = await collections.member_page(
            self.pool, found, cursor, limit, self.settings.search
        )
        await self._record_open(share, address or "unknown")
        details = await self.present.details(assets, audience_of(share))
        return SharedCollection(
            collection=SharedCollectionInfo(name=found.name, description=found.description),
            items=[shared_member(d, share, base) for d in details], next_cursor=next_cursor,
        )  # fmt: skip

    async def open_member(
        self,
        secret: str,
        asset_id: uuid.UUID,
        cookies: Callable[[str], str | None],
        address: str | None = None,
        base: str = "",
    ) -> SharedMember:
        """One asset of a shared collection (``GET /shares/{token}/assets/{asset_id}``; an asset's
        own link reaches its asset alone); 404 for any other asset, as for an unknown one."""
        share = await self._unlocked(secret, cookies)
        asset = await asset_rows.get_asset(self.pool, asset_id, share.workspace_id)
        if asset is None or asset.status in HIDDEN or not await self._reaches(share, asset):
            raise NotFound(f"asset {asset_id} is not one this share link shows")
        await self._record_open(share, address or "unknown")
        return shared_member(await self.present.detail(asset, audience_of(share)), share, base)

    async def _unlocked(self, secret: str, cookies: Callable[[str], str | None]) -> Share:
        """The live link, once this visitor has given its password (if it asks for one)."""
        opened = await self.find(secret)
        share = opened.share
        if opened.password_hash is not None:
            visit = cookies(visit_cookie(share.id))
            if not visit or not await db.is_visitor(self.pool, passwords.digest(visit), share.id):
                raise PasswordRequired("this share link asks for its password: POST /shares/{token}/unlock")
        return share

    async def _collection(self, share: Share) -> Collection:
        assert share.collection_id is not None
        found = await collection_rows.get(self.pool, share.collection_id, share.workspace_id)
        if found is None:  # deleted with its links (ON DELETE CASCADE): a race at most
            raise NotFound(_GONE)
        return found

    async def _reaches(self, share: Share, asset: Asset) -> bool:
        """Whether the link shows this asset (of its workspace, not deleted)."""
        if share.collection_id is None:
            return asset.id == share.asset_id
        found = await self._collection(share)
        if found.query is not None:
            return await collections.smart_contains(self.pool, found, asset)
        return await collection_rows.is_member(self.pool, found.id, asset.id)

    async def unlock(self, secret: str, password: str, address: str) -> tuple[Share, str]:
        """Check a share link's password (failures limited per link and per address, as sign-ins
        are); the visit secret for the visitor's cookie."""
        opened = await self.find(secret)
        share = opened.share
        if opened.password_hash is None:
            raise InvalidInput("this share link asks for no password")
        limits = self.auth.limits  # buckets of their own: share passwords never lock anyone's sign-in
        buckets = [limits.bucket("share", share.id.hex), limits.address_bucket("share-address", address)]
        async with limits.attempt(
            buckets, exclusive=f"share:{share.id.hex}", what="failed passwords"
        ) as attempt:
            ok = attempt.checked(await passwords.verify_password(password, opened.password_hash))
        if not ok:
            raise Unauthenticated("wrong password for this share link")
        visit = passwords.new_secret("")
        await db.add_visit(self.pool, passwords.digest(visit), share)
        return share, visit

    async def _record_open(self, share: Share, address: str) -> None:
        """An open is an anonymous write: limited per client address, and recorded (``uses``,
        ``last_used_at``, a ``share.use`` row) once per visitor (address, IPv6 /64) per link per hour."""
        limits = self.auth.limits
        await limits.anonymous_write("share-open", address, "share-link opens from this address")
        visitor = share_open_key(self.settings.redis.queue_name, share.id.hex, bucket(address))
        if await limits.first(visitor, VISIT_SECONDS):
            await db.used(self.pool, share.id, Entry(action=Action.SHARE_USE, actor="share", address=address))


def _event_share(share: Share) -> dict[str, object]:
    """A share link as events carry it: never its secret, nor a URL with it."""
    return {
        "id": str(share.id), "asset_id": str(share.asset_id) if share.asset_id else None,
        "collection_id": str(share.collection_id) if share.collection_id else None,
        "expires_at": share.expires_at, "revoked_at": share.revoked_at, "download": share.download,
    }  # fmt: skip
