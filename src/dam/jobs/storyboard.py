"""The ``storyboard`` step around its media work: sprite sheets stored as they fill, the WebVTT track
stored beside them and kept with the stream's record."""

from __future__ import annotations

import asyncio
from typing import IO, cast

from dam.db import streams as stream_rows
from dam.domain import manifests
from dam.domain import streaming as st
from dam.domain.assets import Asset
from dam.domain.errors import MediaRejected
from dam.jobs.steps import StepResult, _close, _next, _readable, _reader, _Return, _source
from dam.media import pipeline
from dam.media.storyboard import Board, Sprite
from dam.resources import Resources

FOLDER = manifests.STORYBOARD_DIR
VTT = manifests.STORYBOARD_VTT


async def storyboard_step(resources: Resources, asset: Asset) -> StepResult:
    """Seek thumbnails of a video: ``storyboard/sprite_001.jpg``... and ``storyboard.vtt``."""
    info = asset.media
    if info is None or info.kind != "video":
        raise MediaRejected("no video facts: the probe step must run first")
    settings = resources.settings.stream
    recipe = st.recipe(settings.ladder)
    chunk = st.chunk_seconds(settings.chunk_seconds)
    await stream_rows.begin(
        resources.pool,
        asset.id,
        recipe,
        chunk_seconds=chunk,
        chunk_count=st.chunk_count(info.duration or 0, chunk),
    )
    url, size = await _source(resources, asset)
    files = pipeline.storyboard(cast(IO[bytes], _reader(resources, url, size)), info)
    prefix = st.stream_prefix(asset.id, recipe)
    try:
        while True:
            item = await asyncio.to_thread(_readable, lambda: _next(files))  # type: ignore[arg-type]
            if isinstance(item, _Return):
                board = cast(Board, item.value)
                break
            sprite = cast(Sprite, item)
            await resources.storage.put(f"{prefix}{FOLDER}/{sprite.name}", sprite.data, "image/jpeg")
    finally:
        _close(files)  # type: ignore[arg-type]
    # Cues point at the sprites relative to the track, which sits in the recipe's folder.
    vtt = board.vtt.replace("\nsprite_", f"\n{FOLDER}/sprite_")
    await resources.storage.put(f"{prefix}{VTT}", vtt.encode(), "text/vtt")
    await stream_rows.set_storyboard(
        resources.pool, asset.id, recipe,
        st.Storyboard(vtt=vtt, sprites=board.sprites, interval=board.interval, tile_width=board.tile_width,
                      tile_height=board.tile_height),
    )  # fmt: skip
    return StepResult()
