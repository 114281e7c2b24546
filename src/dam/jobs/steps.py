"""What each step does around its media work: read the original, store each output as it comes.

The media work runs in a thread over a seekable reader that fetches ranges of the original; while
a rendition a step yielded is uploaded, the thread makes the next one (one item of lookahead), so
memory holds at most two at a time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Generator
from typing import IO, Any, TypeVar, cast

from dam.domain import tags
from dam.domain.assets import Asset, Rendition
from dam.domain.errors import MediaRejected
from dam.domain.media import MediaInfo, RenderedFile
from dam.domain.outputs import MediaFacts, Output, Placeholder, Renditions, StepResult, Tags
from dam.domain.validation import rendition_prefix
from dam.jobs.runner import StepContext
from dam.media import pipeline
from dam.resources import Resources
from dam.storage.ranged import SEQUENTIAL_BLOCK, SEQUENTIAL_CACHE_BLOCKS, RangeReader

log = logging.getLogger(__name__)
T = TypeVar("T")
# What a decoder raises on bytes it cannot read; anything else is ours or the store's.
_UNREADABLE = (ValueError, SyntaxError, EOFError, OSError)
SMALL_ORIGINAL = 4 * 1024 * 1024
"""Originals up to this size are read whole, once per job (``reader``'s ``held``)."""


def reader(
    resources: Resources,
    url: str,
    size: int,
    *,
    sequential: bool = False,
    held: OrderedDict[int, bytes] | None = None,
) -> RangeReader:
    """The original as a seekable file; ``sequential`` for steps that decode it front to back.
    ``held``: the job's store of a small original (``StepContext.held``): one of at most
    ``SMALL_ORIGINAL`` bytes is read whole with one GET and its bytes kept there for the job's next
    steps (a round trip per step saved; larger ones are read in ranges, memory bounded as ever)."""
    if held is not None and size <= SMALL_ORIGINAL:
        return RangeReader(url, size, client=resources.reads, block=max(size, 1), cache_blocks=1, cache=held)
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
    """Run a media generator in a thread, awaiting ``store`` for each item it yields while the
    thread makes the next (one item of lookahead: memory holds at most two); returns the
    generator's return value. On an error or a cancel the generator is closed, at once if its
    thread is idle, else by that thread once it has made the item it was making."""
    ahead = _Ahead(files)
    try:
        item = await asyncio.shield(ahead.start())
        while not isinstance(item, _Return):
            following = ahead.start()
            await store(item)
            item = await asyncio.shield(following)
        return item.value
    finally:
        ahead.close()


class _Ahead:
    """A generator stepped in a thread, one ``next`` at a time, and closed once no step runs."""

    def __init__(self, files: Generator[Any, None, Any]) -> None:
        self._files = files
        self._lock = threading.Lock()
        self._running = False
        self._closing = False

    def start(self) -> asyncio.Task[Any]:
        """Begin making the next item (or ``_Return``) in a thread. Await it shielded: a cancel of
        the caller leaves the thread running, and ``close`` then leaves the generator to it."""
        with self._lock:
            self._running = True
        task = asyncio.ensure_future(asyncio.to_thread(readable, self._step))
        task.add_done_callback(_retrieved)
        return task

    def _step(self) -> Any:
        try:
            return _next(self._files)
        finally:
            with self._lock:
                self._running = False
                closing = self._closing
            if closing:
                _close_quietly(self._files)

    def close(self) -> None:
        """Close the generator now, or let its thread close it when the item it makes is done."""
        with self._lock:
            self._closing = True
            running = self._running
        if not running:
            _close(self._files)


def _retrieved(task: asyncio.Task[Any]) -> None:
    # An item made after its job gave up is dropped, and so is the error it may have raised.
    if not task.cancelled():
        task.exception()


async def _store_all(
    context: StepContext, asset: Asset, make: Callable[[IO[bytes]], Generator[RenderedFile, None, Any]]
) -> tuple[list[Output], Any]:
    """Run a rendering generator in a thread, storing each file it yields; returns the outputs (the
    renditions, and the thumbnail's ThumbHash when it made one) and the generator's return value."""
    resources = context.resources
    url, size = await source(resources, asset)
    files = make(cast(IO[bytes], reader(resources, url, size, sequential=True, held=context.held)))
    stored: list[Rendition] = []
    placeholders: list[Output] = []

    async def store(file: RenderedFile) -> None:
        stored.append(await _store(resources, asset, file))
        if file.thumbhash is not None:
            placeholders.append(Placeholder(thumbhash=file.thumbhash))

    value = await drive(files, store)
    return [Renditions(items=stored), *placeholders], value


def _close(files: Generator[Any, None, Any]) -> None:
    files.close()


def _close_quietly(files: Generator[Any, None, Any]) -> None:
    # In the thread, after the job gave up on it: nobody is left to raise to.
    try:
        files.close()
    except Exception:
        log.warning("closing an abandoned media generator failed", exc_info=True)


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
        file = reader(resources, url, size, held=context.held)
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
    outputs, _ = await _store_all(context, asset, lambda r: pipeline.stills(r, info, max_pixels=limit))
    return StepResult(outputs=outputs)


async def poster(context: StepContext, asset: Asset) -> StepResult:
    """Poster, preview and thumbnail of a video; the facts corrected by the decoded frame."""
    if asset.media is None:
        raise MediaRejected("no media facts: the probe step must run first")
    info = asset.media
    outputs, facts = await _store_all(context, asset, lambda r: pipeline.poster(r, info))
    return StepResult(outputs=[*outputs, MediaFacts(info=facts)])


async def waveform(context: StepContext, asset: Asset) -> StepResult:
    """Waveform picture and peaks of an audio file."""
    outputs, _ = await _store_all(context, asset, pipeline.waveform)
    return StepResult(outputs=outputs)
