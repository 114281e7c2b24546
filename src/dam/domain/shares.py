"""Share links as the services see them: one asset or one collection, read-only, for anyone holding
the token, until it expires or is revoked. The token appears here only as its digest."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from dam.domain.assets import AssetDetail, Audience, Thumbhash
from dam.domain.media import MediaInfo
from dam.domain.stream_access import share_viewer

SHARE_PREFIX = "dam_sh_"
"""The visible start of every share token (then 256 bits from the CSPRNG)."""

SHOWN = frozenset({"preview", "thumbnail", "poster", "waveform"})
"""The rendition kinds a share link shows."""

VISIT_COOKIE_PREFIX = "dam_share_"
"""A visitor who gave a share's password holds the cookie ``dam_share_<share id, hex>``."""


class Share(msgspec.Struct, frozen=True, kw_only=True):
    """A share link's record."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    asset_id: uuid.UUID | None  # the shared asset, or None for a collection's link
    password: bool  # whether it asks for one (the argon2id hash stays in the database layer)
    download: bool
    show_metadata: bool
    created_by: uuid.UUID | None
    created_by_key: uuid.UUID | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    uses: int
    collection_id: uuid.UUID | None = None  # the shared collection, or None for an asset's link


class SharedPreview(msgspec.Struct, frozen=True, kw_only=True):
    """A rendition a share shows, with a short-lived URL."""

    kind: str
    content_type: str
    width: int | None
    height: int | None
    url: str


class SharedAsset(msgspec.Struct, frozen=True, kw_only=True):
    """What a share link shows of its asset."""

    name: str
    type: str
    kind: str | None
    size: int | None
    status: str
    expires_at: datetime
    download: bool
    show_metadata: bool
    facts: MediaInfo | None  # None when the share hides them
    preview_url: str | None
    thumbnail_url: str | None
    media_url: str | None  # the original, inline, for playback (audio and video)
    download_url: str | None  # the original as an attachment, when the share allows it
    renditions: list[SharedPreview]
    # The adaptive stream, once ready: its token lives no longer than the link.
    hls_url: str | None = None
    dash_url: str | None = None
    storyboard_url: str | None = None
    thumbhash: Thumbhash | None = None  # present when ``thumbnail_url`` is


class SharedMember(SharedAsset, frozen=True, kw_only=True):
    """An asset of a shared collection, as the link shows it, with the id that opens it alone
    (``GET /shares/{token}/assets/{id}``)."""

    id: uuid.UUID


class SharedCollectionInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What a collection's link shows of the collection itself."""

    name: str
    description: str


class SharedCollection(msgspec.Struct, frozen=True, kw_only=True):
    """What a collection's link shows: the collection, and a page of its assets in its order."""

    collection: SharedCollectionInfo
    items: list[SharedMember]
    next_cursor: str | None


def visit_cookie(share_id: uuid.UUID) -> str:
    """The name of the cookie that says this visitor gave the share's password."""
    return f"{VISIT_COOKIE_PREFIX}{share_id.hex}"


def audience_of(share: Share) -> Audience:
    """A share link's visitors: URLs that outlive neither the link nor ``DAM_PRESIGN_GET_TTL``, the
    shown renditions, the original only when the link allows downloads, facts only when it shows
    metadata, no processing steps."""
    return Audience(
        viewer=share_viewer(share.id), until=share.expires_at, kinds=SHOWN, download=share.download,
        steps=False, metadata=share.show_metadata,
    )  # fmt: skip


def shared_member(detail: AssetDetail, share: Share, base: str = "") -> SharedMember:
    """An asset of a shared collection as the link shows it (``shared_asset`` and its id)."""
    shown = shared_asset(detail, share, base)
    return SharedMember(id=detail.asset.id, **msgspec.structs.asdict(shown))


def shared_asset(detail: AssetDetail, share: Share, base: str = "") -> SharedAsset:
    """What the link shows of an asset the presenter read for ``audience_of(share)`` (stream URLs
    under the API's ``base``)."""
    asset, stream = detail.asset, detail.stream
    by_kind = {r.kind: r.url for r in detail.renditions}
    return SharedAsset(
        name=asset.filename, type=asset.content_type, kind=detail.kind,
        size=asset.stored_size if asset.stored_size is not None else asset.size, status=asset.status.value,
        expires_at=share.expires_at, download=share.download, show_metadata=share.show_metadata,
        facts=asset.media, preview_url=by_kind.get("preview") or by_kind.get("waveform"),
        thumbnail_url=by_kind.get("thumbnail"), media_url=detail.media_url, download_url=detail.download_url,
        renditions=[
            SharedPreview(kind=r.kind, content_type=r.content_type, width=r.width, height=r.height, url=r.url)
            for r in detail.renditions
        ],
        hls_url=base + stream.hls_path if stream and stream.hls_path else None,
        dash_url=base + stream.dash_path if stream and stream.dash_path else None,
        storyboard_url=base + stream.storyboard_path if stream and stream.storyboard_path else None,
        thumbhash=detail.thumbhash,
    )  # fmt: skip
