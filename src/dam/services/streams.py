"""Stream use cases: the ``stream`` of an asset as its readers see it (status, progress, tokened
URLs), and the delivery path: playlists, MPD and VTT answered from PostgreSQL, every other file a
302 to a short-lived presigned GET. A token is issued only with an asset its holder may read (the
asset's own read, or a share link), for ``DAM_STREAM_TOKEN_TTL`` at most; checking one needs the
asset's and the viewer's generations, which this process remembers (``dam.db.generations``): no
database read in the common case, and a revocation reaches it within milliseconds."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable

import msgspec

from dam.db import streams as stream_rows
from dam.domain import manifests
from dam.domain import stream_access as tokens
from dam.domain import streaming as st
from dam.domain.assets import Asset, StepRecord
from dam.domain.errors import NotFound
from dam.domain.steps import StepName, StepState
from dam.resources import Resources

PREFIX = "/stream"
_RECIPE = r"h264-[0-9a-f]{10}"
_RENDITION = r"(?:v[0-9]{2,4}|a)"
# What the delivery path serves: text from the record, or a file in the bucket (anything else: 404).
_TEXT = re.compile(
    rf"^(?P<recipe>{_RECIPE})/(?:(?P<rendition>{_RENDITION})/)?(?P<name>master\.m3u8|manifest\.mpd|index\.m3u8|storyboard\.vtt)$"
)
_FILE = re.compile(
    rf"^{_RECIPE}/(?:{_RENDITION}/(?:init\.mp4|seg_[0-9]{{5}}\.m4s)|storyboard/sprite_[0-9]{{3}}\.jpg)$"
)
_TYPES = {
    "master.m3u8": "application/vnd.apple.mpegurl",
    "index.m3u8": "application/vnd.apple.mpegurl",
    "manifest.mpd": "application/dash+xml",
    "storyboard.vtt": "text/vtt",
}
_STATUS: dict[StepState, st.StreamStatus] = {
    StepState.PENDING: "pending",
    StepState.RUNNING: "processing",
    StepState.DONE: "ready",
    StepState.FAILED: "failed",
}


class Text(msgspec.Struct, frozen=True, kw_only=True):
    """A small stream file answered by the API itself."""

    body: str
    content_type: str


class Streams:
    """Stream links and the delivery path."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.settings = resources.settings.stream
        self.recipe = st.recipe(self.settings.ladder)
        self.secret = tokens.secret_of(self.settings.secret, resources.settings.s3.secret_key)

    def token(
        self, asset: Asset, viewer: str, generations: tokens.Generations, *, until: float | None = None
    ) -> str:
        """A fresh token for ``viewer`` to watch ``asset`` for ``DAM_STREAM_TOKEN_TTL`` (expiring by
        ``until`` at the latest), valid while the generations stay as they are."""
        expires = tokens.expiry(time.time(), self.settings.token_ttl, until)
        return tokens.issue(self.secret, asset.id, viewer, expires, generations)

    async def generations(
        self, asset_ids: Iterable[uuid.UUID], viewer: str
    ) -> dict[uuid.UUID, tokens.Generations]:
        """The generations tokens of ``viewer`` for these assets are issued under (one lookup)."""
        wanted = {asset_id: tokens.subjects(asset_id, viewer) for asset_id in asset_ids}
        if not wanted:
            return {}
        names = [a for a, _ in wanted.values()] + ([viewer] if viewer != "-" else [])
        current = await self.resources.generations.of(names)
        return {asset_id: (current[a], current[v] if v else 0) for asset_id, (a, v) in wanted.items()}

    async def records(self, asset_ids: list[uuid.UUID]) -> dict[uuid.UUID, st.StreamRecord]:
        """The current recipe's stream records of these assets."""
        return await stream_rows.of_assets(self.resources.pool, asset_ids, self.recipe) if asset_ids else {}

    def links(
        self,
        asset: Asset,
        steps: list[StepRecord],
        record: st.StreamRecord | None,
        viewer: str,
        *,
        generations: tokens.Generations = (0, 0),
        until: float | None = None,
    ) -> st.StreamLinks | None:
        """The asset's ``stream``: None for assets that have none (images); its URLs carry a token
        issued under ``generations`` (``Streams.generations``)."""
        ladder = next((s for s in steps if s.name == StepName.LADDER), None)
        if ladder is None:
            return None
        status: st.StreamStatus = _STATUS[ladder.state]
        if ladder.state is StepState.PENDING and (ladder.progress or 0) > 0:
            status = "processing"  # between two chunks
        progress = 1.0 if status == "ready" else float(ladder.progress or 0.0)
        if record is None or record.manifests is None or status != "ready":
            return st.StreamLinks(status=status, progress=progress)
        base = f"{PREFIX}/{self.token(asset, viewer, generations, until=until)}/{asset.id}/{record.recipe}"
        audio = record.audio
        variants = [
            st.Variant(width=v.width, height=v.height, bandwidth=st.bandwidth(v, audio)[0],
                       codecs=v.codecs + (f",{audio.codecs}" if audio else ""))
            for v in record.videos
        ]  # fmt: skip
        if not variants and audio is not None:  # an audio-only stream
            variants = [
                st.Variant(width=None, height=None, bandwidth=audio.peak_bandwidth, codecs=audio.codecs)
            ]
        return st.StreamLinks(
            status=status, progress=progress, variants=variants,
            hls_path=f"{base}/{manifests.MASTER}", dash_path=f"{base}/{manifests.MPD}",
            storyboard_path=f"{base}/{manifests.STORYBOARD_VTT}" if record.storyboard is not None else None,
        )  # fmt: skip

    async def grant(self, token: str, asset_id: uuid.UUID) -> tokens.StreamGrant:
        """The token's grant for this asset (Forbidden: forged, expired, revoked, another asset's)."""
        viewer = tokens.viewer_in(token)
        generations = (await self.generations([asset_id], viewer))[asset_id]
        return tokens.verify(self.secret, token, asset_id, time.time(), generations)

    async def redirect(self, token: str, asset_id: uuid.UUID, path: str) -> str:
        """A presigned GET of a segment, init segment or sprite: no database read in the common case
        (the generations are remembered)."""
        await self.grant(token, asset_id)
        if _FILE.match(path) is None:
            raise NotFound("no such stream file")
        key = f"renditions/{asset_id}/stream/{path}"
        return self.resources.storage.presign_get(key, expires=self.settings.redirect_ttl)

    async def text(self, token: str, asset_id: uuid.UUID, path: str) -> Text:
        """A playlist, the MPD or the storyboard track, from the stream's record."""
        await self.grant(token, asset_id)
        match = _TEXT.match(path)
        if match is None:
            raise NotFound("no such stream file")
        record = await stream_rows.current(self.resources.pool, asset_id, match["recipe"])
        if record is None or record.manifests is None:
            raise NotFound("this stream is not ready")
        name, rendition = match["name"], match["rendition"]
        body: str | None = None
        if rendition is None and name == manifests.MASTER:
            body = record.manifests.master
        elif rendition is None and name == manifests.MPD:
            body = record.manifests.mpd
        elif rendition is None and name == manifests.STORYBOARD_VTT:
            body = record.storyboard.vtt if record.storyboard is not None else None
        elif rendition is not None and name == manifests.PLAYLIST:
            body = record.manifests.playlists.get(rendition)
        if body is None:
            raise NotFound("no such stream file")
        return Text(body=body, content_type=_TYPES[name])

    def is_text(self, path: str) -> bool:
        """Whether the API answers this path itself (small text) rather than redirecting."""
        return path.endswith((".m3u8", ".mpd", ".vtt"))
