"""Stream use cases: the ``stream`` of an asset as its readers see it (status, progress, tokened
URLs), and the delivery path: playlists, MPD and VTT answered from PostgreSQL, every other file a
302 to a short-lived presigned GET. A token is issued only with an asset its holder may read (the
asset's own read, or a share link); checking one needs no database."""

from __future__ import annotations

import re
import time
import uuid

import msgspec

from dam.db import streams as stream_rows
from dam.domain import manifests
from dam.domain import stream_access as tokens
from dam.domain import streaming as st
from dam.domain.assets import Asset, StepRecord
from dam.domain.errors import NotFound
from dam.domain.steps import StepState
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

    def token(self, asset: Asset, viewer: str, *, until: float | None = None) -> str:
        """A fresh token for ``viewer`` to watch ``asset`` (expiring by ``until`` at the latest)."""
        duration = asset.media.duration if asset.media is not None else None
        expires = time.time() + tokens.lifetime(duration, self.settings.token_ttl)
        return tokens.issue(self.secret, asset.id, viewer, int(min(expires, until or expires)))

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
        until: float | None = None,
    ) -> st.StreamLinks | None:
        """The asset's ``stream``: None for assets that have none (images)."""
        ladder = next((s for s in steps if s.name == "ladder"), None)
        if ladder is None:
            return None
        status: st.StreamStatus = _STATUS[ladder.state]
        if ladder.state is StepState.PENDING and (ladder.progress or 0) > 0:
            status = "processing"  # between two chunks
        progress = 1.0 if status == "ready" else float(ladder.progress or 0.0)
        if record is None or record.manifests is None or status != "ready":
            return st.StreamLinks(status=status, progress=progress)
        base = f"{PREFIX}/{self.token(asset, viewer, until=until)}/{asset.id}/{record.recipe}"
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

    def grant(self, token: str, asset_id: uuid.UUID) -> tokens.StreamGrant:
        """The token's grant for this asset (Forbidden: forged, expired, another asset's)."""
        return tokens.verify(self.secret, token, asset_id, time.time())

    def redirect(self, token: str, asset_id: uuid.UUID, path: str) -> str:
        """A presigned GET of a segment, init segment or sprite: no database read."""
        self.grant(token, asset_id)
        if _FILE.match(path) is None:
            raise NotFound("no such stream file")
        key = f"renditions/{asset_id}/stream/{path}"
        return self.resources.storage.presign_get(key, expires=self.settings.redirect_ttl)

    async def text(self, token: str, asset_id: uuid.UUID, path: str) -> Text:
        """A playlist, the MPD or the storyboard track, from the stream's record."""
        self.grant(token, asset_id)
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
