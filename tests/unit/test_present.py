"""The presenter shows assets as the code it replaced did: a member's detail field for field, a
share link's view under the link's rules, and the summary of a list of results; with fakes for the
store's signer, the stream service and the two batched reads (no I/O)."""

from __future__ import annotations

import base64
import math
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest

from dam.api.schemas import asset_out
from dam.domain.assets import MEMBER, Asset, AssetDetail, Audience, RenditionLink, StepRecord, StoredRendition
from dam.domain.enrichment import Findings
from dam.domain.media import MediaInfo
from dam.domain.shares import SHOWN, Share, SharedAsset, SharedPreview, audience_of, shared_asset
from dam.domain.status import AssetStatus
from dam.domain.steps import StepName, StepState
from dam.domain.stream_access import share_viewer
from dam.domain.streaming import StreamLinks
from dam.domain.validation import attachment
from dam.services import present
from dam.services.present import Presenter

NOW = datetime.now(UTC)
KINDS = ("poster", "preview", "storyboard", "thumbnail", "waveform")


class _Storage:
    def presign_get(self, key: str, *, expires: int | None = None, disposition: str | None = None) -> str:
        return f"https://s3/{key}?expires={expires}&disposition={disposition}"


class _Streams:
    async def records(self, asset_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
        return {}

    async def generations(self, asset_ids: Any, viewer: str) -> dict[uuid.UUID, tuple[int, int]]:
        return {}

    def links(self, asset: Asset, steps: list[StepRecord], record: Any, viewer: str, **kw: Any) -> Any:
        if not any(s.name == StepName.LADDER for s in steps):
            return None
        until = kw["until"]
        return StreamLinks(status="ready", progress=1.0, hls_path=f"/stream/{viewer}/{until}/master.m3u8")


def _asset(status: AssetStatus, kind: str | None, **changes: Any) -> Asset:
    made = NOW - timedelta(hours=1)
    asset = Asset(
        id=uuid.uuid4(), filename="clip 1.mp4", content_type="video/mp4", size=1000, sha256=None,
        storage_key="originals/x/clip 1.mp4", status=status, upload_id=None, part_size=None,
        part_checksums=False, etag=None, stored_size=990, error=None, metadata={"album": "a"},
        media=MediaInfo(kind=kind, width=64) if kind else None,  # type: ignore[arg-type]
        created_at=made, updated_at=made, uploaded_at=made, workspace_id=uuid.uuid4(),
        title=None, description=None, tags=[], revision=1,
    )  # fmt: skip
    return msgspec.structs.replace(asset, **changes)


def _renditions(asset: Asset) -> list[StoredRendition]:
    return [
        StoredRendition(
            asset_id=asset.id,
            kind=kind,
            storage_key=f"renditions/{asset.id}/{kind}.webp",
            content_type="image/webp",
            width=320,
            height=180,
            bytes=1234,
            created_at=NOW,
        )
        for kind in KINDS
    ]


def _steps(asset: Asset) -> list[StepRecord]:
    names = [StepName.PROBE, StepName.STILLS] + ([StepName.LADDER] if asset.media else [])
    return [
        StepRecord(asset_id=asset.id, name=n, state=StepState.DONE, attempts=1, started_at=NOW,
                   finished_at=NOW, error=None, outputs=[])
        for n in names
    ]  # fmt: skip


ASSETS = [
    _asset(AssetStatus.PENDING_UPLOAD, None, stored_size=None, uploaded_at=None),
    _asset(AssetStatus.UPLOADED, None),
    _asset(AssetStatus.READY, "image"),
    _asset(AssetStatus.READY, "video"),
    _asset(AssetStatus.READY, "audio"),
    _asset(AssetStatus.FAILED, None, error="no"),
    _asset(AssetStatus.DELETED, "video"),
]


@pytest.fixture
def presenter(monkeypatch: pytest.MonkeyPatch) -> tuple[Presenter, list[str]]:
    reads: list[str] = []
    by_id = {a.id: a for a in ASSETS}

    async def list_steps(pool: object, ids: list[uuid.UUID]) -> list[StepRecord]:
        reads.append("steps")
        return [s for i in ids for s in _steps(by_id[i])]

    async def list_renditions(pool: object, ids: list[uuid.UUID]) -> list[StoredRendition]:
        reads.append("renditions")
        return [r for i in ids for r in _renditions(by_id[i])]

    async def findings(pool: object, asset_id: uuid.UUID) -> dict[str, Findings]:
        reads.append("enrichment")
        return {}

    monkeypatch.setattr(present.step_rows, "list_steps", list_steps)
    monkeypatch.setattr(present.enrichment_rows, "findings", findings)
    monkeypatch.setattr(present.asset_rows, "list_renditions", list_renditions)
    resources = SimpleNamespace(pool=None, storage=_Storage())
    return Presenter(resources, streams=_Streams()), reads  # type: ignore[arg-type]


def _before(asset: Asset, viewer: str) -> AssetDetail:
    """``services/assets._detail`` as it was before the presenter, on the same fakes."""
    storage, streams = _Storage(), _Streams()
    live = asset.status is not AssetStatus.DELETED
    has_object = live and asset.status is not AssetStatus.PENDING_UPLOAD
    links = [
        RenditionLink(kind=r.kind, content_type=r.content_type, width=r.width, height=r.height,
                      bytes=r.bytes, url=storage.presign_get(r.storage_key))
        for r in _renditions(asset)
        if live
    ]  # fmt: skip
    download = (
        storage.presign_get(asset.storage_key, disposition=attachment(asset.filename)) if has_object else None
    )
    playable = has_object and asset.media is not None and asset.media.kind in ("audio", "video")
    media = storage.presign_get(asset.storage_key, disposition="inline") if playable else None
    steps = _steps(asset)
    stream = streams.links(asset, steps, None, viewer, generations=(0, 0), until=None) if live else None
    return AssetDetail(
        asset=asset, renditions=links, steps=steps, download_url=download, media_url=media, stream=stream
    )


async def test_a_members_detail_is_what_the_api_answered_before(
    presenter: tuple[Presenter, list[str]],
) -> None:
    shown, reads = presenter
    details = await shown.details(ASSETS, Audience(viewer="user:1"))
    assert sorted(reads) == ["renditions", "steps"]  # one read of each, whatever the number of assets
    for asset, detail in zip(ASSETS, details, strict=True):
        assert msgspec.to_builtins(asset_out(detail, "https://dam")) == msgspec.to_builtins(
            asset_out(_before(asset, "user:1"), "https://dam")
        ), asset.status


def test_a_new_assets_detail_reads_nothing(presenter: tuple[Presenter, list[str]]) -> None:
    shown, reads = presenter
    detail = shown.new_detail(ASSETS[0])
    assert reads == []
    assert detail == AssetDetail(asset=ASSETS[0], renditions=[], steps=[], download_url=None, enrichment=[])


def _share(asset: Asset, *, download: bool, show_metadata: bool) -> Share:
    return Share(
        id=uuid.uuid4(), workspace_id=asset.workspace_id, asset_id=asset.id, password=False,
        download=download, show_metadata=show_metadata, created_by=None, created_by_key=None,
        created_at=NOW, expires_at=NOW + timedelta(seconds=120.5), revoked_at=None, last_used_at=None, uses=0,
    )  # fmt: skip


def _shared_before(asset: Asset, share: Share, base: str) -> SharedAsset:
    """``services/shares.open`` as it was before the presenter (without its lookups)."""
    storage, streams = _Storage(), _Streams()
    remaining = max(1, math.ceil((share.expires_at - datetime.now(UTC)).total_seconds()))
    previews = [
        SharedPreview(kind=r.kind, content_type=r.content_type, width=r.width, height=r.height,
                      url=storage.presign_get(r.storage_key, expires=remaining))
        for r in _renditions(asset)
        if r.kind in ("preview", "thumbnail", "poster", "waveform")
    ]  # fmt: skip
    by_kind = {p.kind: p.url for p in previews}
    until = share.expires_at.timestamp()
    stream = streams.links(asset, _steps(asset), None, share_viewer(share.id), until=until)
    stored = asset.status is not AssetStatus.PENDING_UPLOAD
    kind = asset.media.kind if asset.media is not None else None
    playable = stored and kind in ("video", "audio")
    return SharedAsset(
        name=asset.filename, type=asset.content_type, kind=kind,
        size=asset.stored_size if asset.stored_size is not None else asset.size, status=asset.status.value,
        expires_at=share.expires_at, download=share.download, show_metadata=share.show_metadata,
        facts=asset.media if share.show_metadata else None,
        preview_url=by_kind.get("preview") or by_kind.get("waveform"), thumbnail_url=by_kind.get("thumbnail"),
        media_url=(
            storage.presign_get(asset.storage_key, expires=remaining, disposition="inline")
            if playable
            else None
        ),
        download_url=(
            storage.presign_get(asset.storage_key, expires=remaining, disposition=attachment(asset.filename))
            if stored and share.download
            else None
        ),
        renditions=previews,
        hls_url=base + stream.hls_path if stream and stream.hls_path else None,
    )  # fmt: skip


@pytest.mark.parametrize("download", [True, False])
@pytest.mark.parametrize("show_metadata", [True, False])
async def test_a_share_links_view_is_what_it_showed_before_under_the_links_rules(
    presenter: tuple[Presenter, list[str]], download: bool, show_metadata: bool
) -> None:
    shown, _ = presenter
    for asset in ASSETS[:-1]:  # a deleted asset's link is refused before anything is shown
        share = _share(asset, download=download, show_metadata=show_metadata)
        detail = await shown.detail(asset, audience_of(share))
        assert detail.steps == []
        assert {r.kind for r in detail.renditions} <= SHOWN
        if not show_metadata:
            assert detail.asset.metadata == {}
            assert detail.asset.media is None
        assert shared_asset(detail, share, "https://dam") == _shared_before(asset, share, "https://dam")


async def test_a_summary_shows_a_tile_of_each_asset(presenter: tuple[Presenter, list[str]]) -> None:
    shown, reads = presenter
    summaries = await shown.summaries(ASSETS, MEMBER)
    assert reads == ["renditions"]
    video = summaries[3]
    assert (video.id, video.status, video.filename, video.kind, video.size) == (
        ASSETS[3].id, AssetStatus.READY, "clip 1.mp4", "video", 990,
    )  # fmt: skip
    assert (
        video.thumbnail_url
        == f"https://s3/renditions/{ASSETS[3].id}/thumbnail.webp?expires=None&disposition=None"
    )
    assert summaries[0].size == 1000  # declared until stored
    assert summaries[-1].thumbnail_url is None  # deleted
    share = _share(ASSETS[3], download=False, show_metadata=False)
    (tile,) = await shown.summaries([ASSETS[3]], audience_of(share))
    assert tile.thumbnail_url is not None
    assert "expires=None" not in tile.thumbnail_url
    (hidden,) = await shown.summaries([ASSETS[3]], Audience(kinds=frozenset({"preview"})))
    assert hidden.thumbnail_url is None


async def test_a_thumbhash_is_shown_where_its_thumbnail_is(presenter: tuple[Presenter, list[str]]) -> None:
    shown, _ = presenter
    hash_ = bytes(range(1, 26))
    video, gone = (msgspec.structs.replace(a, thumbhash=hash_) for a in (ASSETS[3], ASSETS[-1]))
    tile, deleted = await shown.summaries([video, gone], MEMBER)
    assert tile.thumbnail_url is not None
    assert tile.thumbhash == hash_
    assert msgspec.json.decode(msgspec.json.encode(tile))["thumbhash"] == base64.b64encode(hash_).decode()
    assert deleted.thumbhash is None  # no thumbnail shown, no placeholder
    (hidden,) = await shown.summaries([video], Audience(kinds=frozenset({"preview"})))
    assert hidden.thumbhash is None
    detail = await shown.detail(video)
    assert asset_out(detail).thumbhash == hash_
    assert (await shown.detail(video, Audience(kinds=frozenset({"preview"})))).thumbhash is None
    share = _share(video, download=False, show_metadata=False)
    assert shared_asset(await shown.detail(video, audience_of(share)), share).thumbhash == hash_
