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
from dam.media.enrich import credentials, dhash, objects, ocr, scenes, speech
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


async def _picture(context: StepContext, asset: Asset) -> Image.Image:
    """The asset's preview, decoded (upright, sRGB, small: read whole)."""
    resources = context.resources
    rendition = await Enrichments(resources).picture(asset.id)
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


async def ocr_step(context: StepContext, asset: Asset) -> StepResult:
    """Text in the asset's picture: its lines with their boxes, searchable by their words."""
    models = _models(context)
    picture = await _picture(context, asset)
    engine = await models.model("ocr", ocr.Reader)
    lines = await models.infer("ocr", engine.read, picture)
    result = {
        "width": picture.width,
        "height": picture.height,
        "lines": [msgspec.to_builtins(line) for line in lines],
    }
    return StepResult(
        outputs=[
            Found(
                kind="ocr",
                model=ocr.MODEL,
                model_version=engine.version,
                result=result,
                text="\n".join(line.text for line in lines),
                flags=["text"] if lines else [],
            )
        ]
    )


async def similar_step(context: StepContext, asset: Asset) -> StepResult:
    """The perceptual hash of the asset's picture, by which its near-duplicates are found."""
    models = _models(context)
    picture = await _picture(context, asset)
    value = await models.run(dhash.dhash, picture)
    found = Found(
        kind="similar", model=dhash.MODEL, model_version=dhash.VERSION,
        result={"hashes": [hashes.hex_of(value)]},
    )  # fmt: skip
    return StepResult(outputs=[Hashes(model=dhash.MODEL, values=[value]), found])


def _kept(tags: dict[str, float], floor: float) -> dict[str, float]:
    """The model tags at or above ``DAM_ENRICH_MIN_CONFIDENCE``: the searchable ones."""
    return {name: round(value, 4) for name, value in tags.items() if value >= floor}


def _listed(tags: dict[str, float]) -> list[dict[str, Any]]:
    return [{"name": n, "confidence": c} for n, c in sorted(tags.items(), key=lambda t: (-t[1], t[0]))]


async def _tagging(
    context: StepContext, asset: Asset, kind: str, load: Callable[[], T], run: Callable[[T, Image.Image], Any]
) -> tuple[Image.Image, Any, T]:
    """A tagging model (``kind``, loaded by ``load``) run on the asset's picture: the picture, what
    ``run`` found, and the model."""
    models = _models(context)
    picture = await _picture(context, asset)
    model = await models.model(kind, load)
    found = await models.infer(kind, run, model, picture)
    return picture, found, model


async def objects_step(context: StepContext, asset: Asset) -> StepResult:
    """COCO objects in the asset's picture, with their boxes; their names become model tags."""
    picture, found, detector = await _tagging(
        context, asset, "objects", objects.Detector, lambda m, p: m.detect(p)
    )
    tags = _kept(objects.tags_of(found), context.resources.settings.enrich.min_confidence)
    result = {"width": picture.width, "height": picture.height, "objects": msgspec.to_builtins(found)}
    return _tagged("objects", objects.MODEL, detector.version, result, tags)


async def scenes_step(context: StepContext, asset: Asset) -> StepResult:
    """ImageNet classes of the asset's picture and the everyday words they are searched by."""
    _, labels, classifier = await _tagging(
        context, asset, "scenes", scenes.Classifier, lambda m, p: m.classify(p)
    )
    tags = _kept(scenes.tags_of(labels), context.resources.settings.enrich.min_confidence)
    return _tagged(
        "scenes",
        scenes.MODEL,
        classifier.version,
        {"labels": msgspec.to_builtins(labels[: scenes.TOP])},
        tags,
    )


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
