"""The ``enrich`` queue's steps around their models: read the asset's picture (its original, for
its content credentials), run the model in the queue's inference thread, hand back what it found.

Each worker of the queue opens ``Models`` once (``dam.jobs.registry.TOOLS``): a model loads the first
time a step needs it, its weight files checked first (a mismatch fails the step and never runs the
model), and stays loaded for the worker's life. Inference runs in threads of the worker's own
(``DAM_ENRICH_CONCURRENCY``), each at the lowest CPU priority: renditions and the API, on the same
machine, keep their speed beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, TypeVar, cast

import msgspec
from PIL import Image

from dam.domain import hashes
from dam.domain.assets import Asset
from dam.domain.errors import MediaRejected
from dam.domain.outputs import Found, Hashes, StepResult
from dam.jobs.runner import StepContext
from dam.jobs.steps import readable, reader, source
from dam.media.enrich import credentials, dhash, frames, objects, ocr, scenes, speech
from dam.resources import Resources
from dam.services.enrichment import Enrichments

T = TypeVar("T")
_NICEST = 19


def _lowest_priority() -> None:
    # Linux schedules threads as tasks: only this thread yields the CPU to everything else.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _NICEST)


class Models:
    """The models of one worker: each loaded once, on first use, in the inference threads."""

    def __init__(self, threads: int) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="enrich", initializer=_lowest_priority
        )
        self._loaded: dict[str, Any] = {}
        self._loading = asyncio.Lock()
        self._using: dict[str, threading.Lock] = {}

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` in an inference thread."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)

    async def model(self, name: str, load: Callable[[], T]) -> T:
        """The loaded model ``name`` (loaded now if it is not yet; a failed load is tried again by
        the next step that needs it)."""
        async with self._loading:
            if name not in self._loaded:
                self._loaded[name] = await self.run(load)
                self._using[name] = threading.Lock()
        return cast(T, self._loaded[name])

    async def infer(self, name: str, work: Callable[..., T], *args: Any) -> T:
        """Run ``work`` with model ``name`` held: a model is used by one thread at a time."""
        lock = self._using[name]

        def held() -> T:
            with lock:
                return work(*args)

        return await self.run(held)

    def close(self) -> None:
        """Let the threads end (a running inference finishes first)."""
        self._executor.shutdown(wait=False, cancel_futures=True)


@contextlib.asynccontextmanager
async def open_models(resources: Resources) -> AsyncIterator[dict[str, object]]:
    """The ``enrich`` queue's tools: its models, loaded as steps need them."""
    models = Models(resources.settings.enrich.concurrency)
    try:
        yield {"models": models}
    finally:
        models.close()


def _models(context: StepContext) -> Models:
    models = context.tools.get("models")
    if not isinstance(models, Models):
        raise RuntimeError(f"enrichment runs on the enrich queue's workers, not on {context.queue!r}")
    return models


async def _picture(context: StepContext, asset: Asset, small: bool) -> Image.Image:
    """The asset's preview, or (``small``) its thumbnail, decoded (upright, sRGB, small: read
    whole), once per job."""
    resources = context.resources
    rendition = await Enrichments(resources).picture(asset.id, small)
    if rendition is None or not rendition.bytes:
        raise MediaRejected("no preview to read: the asset's pictures were not made")
    kept = context.decoded.get(rendition.storage_key)
    if isinstance(kept, Image.Image):
        return kept
    url = resources.storage.presign_get(rendition.storage_key, internal=True)

    def decode() -> Image.Image:
        file = reader(resources, url, rendition.bytes or 0, held=None)
        with Image.open(cast(IO[bytes], file)) as picture:
            picture.load()
            return picture.convert("RGB")

    picture = await asyncio.to_thread(readable, decode)
    context.decoded[rendition.storage_key] = picture
    return picture


Seen = tuple[float | None, Image.Image]  # a picture the models read: its time in a video (None: the preview)
_FRAMES = "frames"  # ``StepContext.decoded``'s key for a video's frames


async def _pictures(context: StepContext, asset: Asset, small: bool = True) -> list[Seen]:
    """The asset's preview (a video's is its poster's), or (``small``) its thumbnail: models whose
    input is 224-300 px read the 320 px picture, not the 1280 px one, and decoding it costs a
    sixteenth; then, for a video, a few frames spread over its length (``dam.media.enrich.frames``),
    decoded from the original once per job."""
    seen: list[Seen] = [(None, await _picture(context, asset, small))]
    info = asset.media
    if info is None or info.kind != "video":
        return seen
    kept = context.decoded.get(_FRAMES)
    if not isinstance(kept, list):
        resources = context.resources
        url, size = await source(resources, asset)

        def decode() -> list[frames.Frame]:
            return frames.frames(cast(IO[bytes], reader(resources, url, size, held=context.held)), info)

        kept = await _models(context).run(readable, decode)
        context.decoded[_FRAMES] = kept
    return seen + [(frame.time, frame.picture) for frame in cast(list[frames.Frame], kept)]


def _by_frame(seen: list[Seen], found: list[Any], name: str) -> dict[str, Any]:
    """What a model found in a video's frames beside its poster: ``{"frames": [{"time", name}]}``
    (nothing for a picture)."""
    if len(seen) < 2:
        return {}
    pairs = zip(seen[1:], found[1:], strict=True)
    return {"frames": [{"time": t, name: msgspec.to_builtins(f)} for (t, _), f in pairs]}


async def ocr_step(context: StepContext, asset: Asset) -> StepResult:
    """Text in the asset's picture (and a video's frames): its lines with their boxes, searchable by
    their words."""
    models = _models(context)
    seen = await _pictures(context, asset, small=False)
    engine = await models.model("ocr", ocr.Reader)
    read = [await models.infer("ocr", engine.read, picture) for _, picture in seen]
    preview = seen[0][1]
    result = {
        "width": preview.width,
        "height": preview.height,
        "lines": [msgspec.to_builtins(line) for line in read[0]],
        **_by_frame(seen, read, "lines"),
    }
    # Each line once, in the order it was first seen: a title held over many frames is one line.
    text = list(dict.fromkeys(line.text for lines in read for line in lines))
    return StepResult(
        outputs=[
            Found(
                kind="ocr",
                model=ocr.MODEL,
                model_version=engine.version,
                result=result,
                text="\n".join(text),
                flags=["text"] if text else [],
            )
        ]
    )


def _hashed(seen: list[Seen]) -> list[tuple[float | None, int]]:
    return [(t, dhash.dhash(picture)) for t, picture in seen if not dhash.flat(picture)]


async def similar_step(context: StepContext, asset: Asset) -> StepResult:
    """The perceptual hashes of the asset's picture (and a video's frames), by which its
    near-duplicates are found; a flat picture (a black frame, a plain card) gets none."""
    models = _models(context)
    seen = await _pictures(context, asset)
    hashed = await models.run(_hashed, seen)
    result: dict[str, Any] = {"hashes": [hashes.hex_of(value) for _, value in hashed]}
    if len(seen) > 1:
        result["times"] = [t for t, _ in hashed]
    found = Found(kind="similar", model=dhash.MODEL, model_version=dhash.VERSION, result=result)
    return StepResult(outputs=[Hashes(model=dhash.MODEL, values=[v for _, v in hashed]), found])


def _kept(tags: dict[str, float], floor: float) -> dict[str, float]:
    """The model tags at or above ``DAM_ENRICH_MIN_CONFIDENCE``: the searchable ones."""
    return {name: round(value, 4) for name, value in tags.items() if value >= floor}


def _strongest(each: list[dict[str, float]]) -> dict[str, float]:
    """Tags of several pictures: each with its highest confidence in any of them."""
    tags: dict[str, float] = {}
    for found in each:
        for name, value in found.items():
            tags[name] = max(tags.get(name, 0.0), value)
    return tags


def _listed(tags: dict[str, float]) -> list[dict[str, Any]]:
    return [{"name": n, "confidence": c} for n, c in sorted(tags.items(), key=lambda t: (-t[1], t[0]))]


async def _tagging(
    context: StepContext, asset: Asset, kind: str, load: Callable[[], T], run: Callable[[T, Image.Image], Any]
) -> tuple[list[Seen], list[Any], T]:
    """A tagging model (``kind``, loaded by ``load``) run on each of the asset's pictures: the
    pictures, what ``run`` found in each, and the model."""
    models = _models(context)
    seen = await _pictures(context, asset)
    model = await models.model(kind, load)
    found = [await models.infer(kind, run, model, picture) for _, picture in seen]
    return seen, found, model


async def objects_step(context: StepContext, asset: Asset) -> StepResult:
    """COCO objects in the asset's picture (and a video's frames), with their boxes; their names
    become model tags."""
    seen, found, detector = await _tagging(
        context, asset, "objects", objects.Detector, lambda m, p: m.detect(p)
    )
    tags = _strongest([objects.tags_of(f) for f in found])
    preview = seen[0][1]
    result = {
        "width": preview.width,
        "height": preview.height,
        "objects": msgspec.to_builtins(found[0]),
        **_by_frame(seen, found, "objects"),
    }
    kept = _kept(tags, context.resources.settings.enrich.min_confidence)
    return _tagged("objects", objects.MODEL, detector.version, result, kept)


async def scenes_step(context: StepContext, asset: Asset) -> StepResult:
    """ImageNet classes of the asset's picture (and a video's frames) and the everyday words they
    are searched by."""
    seen, labels, classifier = await _tagging(
        context, asset, "scenes", scenes.Classifier, lambda m, p: m.classify(p)
    )
    tags = _strongest([scenes.tags_of(found) for found in labels])
    top = [found[: scenes.TOP] for found in labels]
    result = {"labels": msgspec.to_builtins(top[0]), **_by_frame(seen, top, "labels")}
    kept = _kept(tags, context.resources.settings.enrich.min_confidence)
    return _tagged("scenes", scenes.MODEL, classifier.version, result, kept)


def _tagged(
    kind: str, model: str, version: str, result: dict[str, Any], tags: dict[str, float]
) -> StepResult:
    """A tagging step's outcome: its result with its model tags listed, and the tags to keep."""
    listed = {**result, "tags": _listed(tags)}
    return StepResult(
        outputs=[Found(kind=kind, model=model, model_version=version, result=listed, tags=tags)]
    )


async def _on_original(context: StepContext, asset: Asset, read: Callable[[IO[bytes]], T]) -> T:
    """``read`` of the asset's original, front to back in large blocks through the ranged reader, in
    an inference thread (an unreadable file fails the step)."""
    resources = context.resources
    url, size = await source(resources, asset)

    def work() -> T:
        return read(cast(IO[bytes], reader(resources, url, size, sequential=True, held=context.held)))

    return await _models(context).run(readable, work)


async def credentials_step(context: StepContext, asset: Asset) -> StepResult:
    """The original's C2PA content credentials: who signed it, its actions, whether a generative
    model made it, whether they still hold; ``has=credentials`` and ``has=ai_generated`` find it."""
    verifier = await _models(context).model("credentials", credentials.Verifier)
    media_type = (asset.media.media_type if asset.media is not None else None) or asset.content_type
    # Checking the hard binding hashes the whole file.
    found = await _on_original(context, asset, lambda file: verifier.read(file, media_type))
    return StepResult(
        outputs=[
            Found(
                kind="credentials",
                model=credentials.MODEL,
                model_version=verifier.version,
                result=msgspec.to_builtins(found),
                flags=found.flags,
            )
        ]
    )


async def speech_step(context: StepContext, asset: Asset) -> StepResult:
    """What is said in the original's audio, with its times: searchable, and the captions of the
    player (``GET /assets/{id}/transcript.vtt``). A video without sound has no segments."""
    models = _models(context)
    cache = context.resources.settings.enrich.model_cache
    load = functools.partial(speech.Transcriber, Path(cache) if cache else None)
    transcriber = await models.model("speech", load)
    seconds = asset.media.duration if asset.media is not None else None
    # The audio is decoded once, at most MAX_SECONDS of it.
    samples, truncated = await _on_original(context, asset, lambda file: speech.decode(file, seconds))
    heard = await models.infer("speech", transcriber.transcribe, samples, truncated)
    return StepResult(
        outputs=[
            Found(
                kind="speech",
                model=speech.MODEL,
                model_version=transcriber.version,
                result=msgspec.to_builtins(heard),
                text=heard.text,
                flags=["text"] if heard.segments else [],
            )
        ]
    )
