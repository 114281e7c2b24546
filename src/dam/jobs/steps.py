"""What each step does around its media work: read the original, store each output as it comes.

The media work runs in a thread over a seekable reader that fetches ranges of the original; each
rendition a step yields is uploaded before the next one is made, so memory holds one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Generator
from typing import IO, Any, TypeVar, cast

from dam.domain import tags
from dam.domain.assets import Asset, Rendition
from dam.domain.errors import MediaRejected
from dam.domain.media import MediaInfo, RenderedFile
from dam.domain.outputs import MediaFacts, Renditions, StepResult, Tags
from dam.domain.validation import rendition_prefix
from dam.jobs.runner import StepContext
from dam.media import pipeline
from dam.resources import Resources
from dam.storage.ranged import SEQUENTIAL_BLOCK, SEQUENTIAL_CACHE_BLOCKS, RangeReader

T = TypeVar("T")
# What a decoder raises on bytes it cannot read; anything else is ours or the store's.
_UNREADABLE = (ValueError, SyntaxError, EOFError, OSError)


def reader(resources: Resources, url: str, size: int, *, sequential: bool = False) -> RangeReader:
    """The original as a seekable file; ``sequential`` for steps that decode it front to back."""
    if sequential:
        return RangeReader(
            url, size, client=resources.reads, block=SEQUENTIAL_BLOCK, cache_blocks=SEQUENTIAL_CACHE_BLOCKS
        )
    return RangeReader(url, size, client=resources.reads)


def readable(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except _UNREADABLE as exc:
        raise MediaRejected(f"could not read the media: {str(exc)[:300]}") from None


async def source(resources: Resources, asset: Asset) -> tuple[str, int]:
    """A presigned URL the worker reads the original through, and its size: the one the upload's
    completion read from storage (no HEAD per step), else a HEAD's. An original gone or changed
    since fails the step when it is read (a 404 or 416 to the ranged read)."""
    size = asset.stored_size
    if size is None:
        info = await resources.storage.head(asset.storage_key)
        if info is None:
            raise MediaRejected("the original is missing from storage")
        size = info.size
    return resources.storage.presign_get(asset.storage_key, internal=True), size


async def _store(resources: Resources, asset: Asset, file: RenderedFile) -> Rendition:
    key = f"{rendition_prefix(asset.id)}{file.kind}.{file.extension}"
    await resources.storage.put(key, file.data, file.content_type)
    return Rendition(
        kind=file.kind, storage_key=key, content_type=file.content_type,
        width=file.width, height=file.height, bytes=len(file.data),
    )  # fmt: skip


async def drive(files: Generator[Any, None, Any], store: Callable[[Any], Awaitable[None]]) -> Any:
    """Run a media generator in a thread, awaiting ``store`` for each item it yields before the
    next is made (memory holds one at a time); returns the generator's return value."""
    try:
        while True:
            item = await asyncio.to_thread(readable, lambda: _next(files))
            if isinstance(item, _Return):
                return item.value
            await store(item)
    finally:
        _close(files)


async def _store_all(
    resources: Resources, asset: Asset, make: Callable[[IO[bytes]], Generator[RenderedFile, None, Any]]
) -> tuple[list[Rendition], Any]:
    """Run a rendering generator in a thread, storing each file it yields; returns its return value."""
    url, size = await source(resources, asset)
    files = make(cast(IO[bytes], reader(resources, url, size, sequential=True)))
    outputs: list[Rendition] = []

    async def store(file: RenderedFile) -> None:
        outputs.append(await _store(resources, asset, file))

    return outputs, await drive(files, store)


def _close(files: Generator[Any, None, Any]) -> None:
    # ValueError: still running in its thread (the step ran out of time); it ends by itself, its
    # reader's connection closed under it.
    with contextlib.suppress(ValueError):
        files.close()


class _Return:
    def __init__(self, value: Any) -> None:
        self.value = value


def _next(files: Generator[Any, None, Any]) -> Any:
    try:
        return next(files)
    except StopIteration as stop:
        return _Return(stop.value)


async def probe(context: StepContext, asset: Asset) -> StepResult:
    """Facts of the declared kind, reading as little of the original as the format allows."""
    resources = context.resources
    url, size = await source(resources, asset)
    limit = resources.settings.worker.max_image_pixels

    def work() -> MediaInfo:
        file = reader(resources, url, size)
        info = pipeline.probe_media(cast(IO[bytes], file), asset.content_type, max_pixels=limit)
        info.bytes_read = file.bytes_fetched
        return info

    info = await asyncio.to_thread(readable, work)
    found = tags.keywords(info)
    return StepResult(outputs=[MediaFacts(info=info), *([Tags(names=found)] if found else [])])


async def stills(context: StepContext, asset: Asset) -> StepResult:
    """Preview and thumbnail of an image."""
    resources = context.resources
    limit = resources.settings.worker.max_image_pixels
    info = asset.media
    outputs, _ = await _store_all(resources, asset, lambda r: pipeline.stills(r, info, max_pixels=limit))
    return StepResult(outputs=[Renditions(items=outputs)])


async def poster(context: StepContext, asset: Asset) -> StepResult:
    """Poster, preview and thumbnail of a video; the facts corrected by the decoded frame."""
    if asset.media is None:
        raise MediaRejected("no media facts: the probe step must run first")
    info = asset.media
    outputs, facts = await _store_all(context.resources, asset, lambda r: pipeline.poster(r, info))
    return StepResult(outputs=[Renditions(items=outputs), MediaFacts(info=facts)])


async def waveform(context: StepContext, asset: Asset) -> StepResult:
    """Waveform picture and peaks of an audio file."""
    outputs, _ = await _store_all(context.resources, asset, pipeline.waveform)
    return StepResult(outputs=[Renditions(items=outputs)])
