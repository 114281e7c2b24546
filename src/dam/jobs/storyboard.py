"""The ``storyboard`` step around its media work: sprite sheets stored as they fill, the WebVTT track
stored beside them and kept with the stream's record."""

from __future__ import annotations

from typing import IO, cast

from dam.domain import manifests
from dam.domain import streaming as st
from dam.domain.assets import Asset
from dam.domain.errors import MediaRejected
from dam.domain.outputs import StepResult
from dam.jobs.runner import StepContext
from dam.jobs.steps import drive, reader, source
from dam.media import pipeline
from dam.media.storyboard import Board, Sprite
from dam.services.encoding import Encoding

FOLDER = manifests.STORYBOARD_DIR
VTT = manifests.STORYBOARD_VTT


async def storyboard_step(context: StepContext, asset: Asset) -> StepResult:
    """Seek thumbnails of a video: ``storyboard/sprite_001.jpg``... and ``storyboard.vtt``."""
    info = asset.media
    if info is None or info.kind != "video":
        raise MediaRejected("no video facts: the probe step must run first")
    resources, encoding = context.resources, Encoding(context.resources)
    record = await encoding.stream(asset.id, info)
    url, size = await source(resources, asset)
    files = pipeline.storyboard(cast(IO[bytes], reader(resources, url, size)), info, folder=f"{FOLDER}/")
    prefix = st.stream_prefix(asset.id, record.recipe)

    async def store(sprite: Sprite) -> None:
        await resources.storage.put(f"{prefix}{FOLDER}/{sprite.name}", sprite.data, "image/jpeg")

    board: Board = await drive(files, store)
    vtt = board.vtt
    await resources.storage.put(f"{prefix}{VTT}", vtt.encode(), "text/vtt")
    await encoding.storyboard(
        asset.id, record.recipe,
        st.Storyboard(vtt=vtt, sprites=board.sprites, interval=board.interval, tile_width=board.tile_width,
                      tile_height=board.tile_height),
    )  # fmt: skip
    return StepResult()
