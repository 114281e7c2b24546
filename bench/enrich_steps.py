"""Enrichment's whole step path beside the bare model call, on the same pictures, in one process.

A piece of the real stack: a migrated throw-away database, the run's SeaweedFS, ``dam api`` for the
uploads. The bench's pictures are uploaded through the API and rendered by the media queue's own
``run_queue`` (probe, stills: the 1280 px WebP preview the models read); then each kind's step runs
through the enrich queue's ``run_queue`` with the worker's ``Models`` tool, as ``dam worker --queue
enrich`` runs it: read the preview from storage, decode, the model in an inference thread at nice 19,
the finish transaction in PostgreSQL. Beside it, the bare model call on the same previews decoded
once, in a thread at the same priority, with models of its own loaded before the clock starts.

CPU time is counted in every process the path uses: this one (all its threads), the PostgreSQL
backends of the bench's database and SeaweedFS. The cases alternate, ``ROUNDS`` passes each.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import io
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import median
from typing import Any

import httpx
import msgspec
from PIL import Image

from bench.enrich_pictures import pictures
from bench.ingest import create_and_put
from bench.stack import StackFailed, cpu_seconds, drop_database, forget_queues, make_key, serve, set_up_store
from dam.db import steps as step_rows
from dam.db.migrate import ensure_database, upgrade
from dam.db.pool import Pool
from dam.domain.steps import Queue
from dam.jobs.enrich import Models
from dam.jobs.process import run_queue
from dam.jobs.runner import StepContext
from dam.media.enrich import dhash, objects, ocr, scenes
from dam.resources import Resources
from dam.services.enrichment import Enrichments
from dam.settings import load_settings
from dam.startup import started, worker
from dam_dev.devs3 import DevS3, free_ports

KINDS = ("ocr", "objects", "scenes", "similar")
SMALL = ("objects", "scenes", "similar")  # the kinds whose step reads the thumbnail, not the preview
ROUNDS = 3  # passes of each case over every picture, the cases alternating
STEP_DEADLINE = 120.0  # seconds one asset's run of a queue may take
REDIS_URL = os.environ.get("DAM_REDIS_URL", "redis://127.0.0.1:6379/0")
# The bare model call, loaded before the clock starts: the same entry points the steps call.
BARE: dict[str, Callable[[], Callable[[Image.Image], object]]] = {
    "ocr": lambda: ocr.Reader().read,
    "objects": lambda: objects.Detector().detect,
    "scenes": lambda: scenes.Classifier().classify,
    "similar": lambda: dhash.dhash,
}


class Spent(msgspec.Struct, frozen=True):
    """One pass over every picture: seconds of wall time and CPU seconds by process."""

    wall: float
    cpu: dict[str, float]

    @property
    def total(self) -> float:
        """CPU seconds of every process taking part."""
        return sum(self.cpu.values())


class Case(msgspec.Struct, frozen=True):
    """A case's passes: the medians over them, per picture."""

    images: int
    passes: list[Spent]

    @property
    def wall(self) -> float:
        """Median seconds of wall time per picture."""
        return median(p.wall for p in self.passes) / self.images

    @property
    def cpu(self) -> float:
        """Median CPU seconds per picture, every process counted."""
        return median(p.total for p in self.passes) / self.images

    def part(self, name: str) -> float:
        """Median CPU seconds per picture of one process."""
        return median(p.cpu[name] for p in self.passes) / self.images


class StepFigures(msgspec.Struct, frozen=True):
    """Every kind's two cases, decoding the previews alone, the previews' sizes, and the previews
    themselves (for the memory run)."""

    cases: dict[str, dict[str, Case]]
    decode: Case
    sizes: list[tuple[int, int]]
    preview_bytes: list[int]
    previews: list[Path]


class Meter:
    """CPU seconds used by this process, the PostgreSQL backends of the pool's database and the store."""

    def __init__(self, pool: Pool, store_pid: int | None) -> None:
        self.pool = pool
        self.store_pid = store_pid

    async def _backends(self) -> list[int]:
        rows = await self.pool.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend'"
        )
        return [int(r["pid"]) for r in rows]

    def _read(self, backends: list[int]) -> dict[str, float]:
        postgres = 0.0
        for pid in backends:
            with contextlib.suppress(OSError):  # a backend that ended: its time is lost with it
                postgres += cpu_seconds(pid)
        store = cpu_seconds(self.store_pid) if self.store_pid else 0.0
        return {"bench": time.process_time(), "PostgreSQL": postgres, "SeaweedFS": store}

    async def measure(self, work: Callable[[], Any]) -> Spent:
        """Run ``work()`` (awaited) and say what it spent."""
        backends = await self._backends()
        before, started_at = self._read(backends), time.perf_counter()
        await work()
        wall = time.perf_counter() - started_at
        after = self._read(backends)
        return Spent(wall=wall, cpu={k: after[k] - before[k] for k in before})


def _nicest() -> None:
    # As the worker's inference threads (dam.jobs.enrich): only this thread yields the CPU.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


async def _upload(url: str, key: str) -> list[uuid.UUID]:
    """Create, PUT and complete every picture through the API; the asset ids."""
    ids = []
    async with httpx.AsyncClient(timeout=30) as client:
        for name, data in pictures():
            asset_id = await create_and_put(client, url, key, name, data, hashlib.sha256(data).hexdigest())
            done = await client.post(
                f"{url}/assets/{asset_id}/complete", headers={"Authorization": f"Bearer {key}"}
            )
            if done.status_code != 202:
                raise StackFailed(f"complete answered {done.status_code}: {done.text[:300]}")
            ids.append(uuid.UUID(asset_id))
    return ids


class Queued(msgspec.Struct, frozen=True):
    """What a worker of a queue gives each of its jobs: its resources and the queue's tools."""

    resources: Resources
    queue: str
    tools: dict[str, object] = {}


async def _run(queued: Queued, asset_id: uuid.UUID, expected: str) -> None:
    """One job's run of the queue's steps, as ``run_steps`` does it (a context of the job's own: it
    holds the job's small original)."""
    context = StepContext(resources=queued.resources, queue=queued.queue, tools=queued.tools)
    async with asyncio.timeout(STEP_DEADLINE):
        said = await run_queue(context, asset_id, runner=uuid.uuid4().hex)
    if said != expected:
        raise StackFailed(f"asset {asset_id}: the {queued.queue} queue's run said {said!r}, not {expected!r}")


async def _all_done(pool: Pool, ids: list[uuid.UUID], kinds: tuple[str, ...]) -> None:
    """Raise with the first error when a step of these kinds is not done (a background step that
    fails lets its job go on: the job's answer does not say so)."""
    row = await pool.fetchrow(
        "SELECT asset_id, step, state, error FROM asset_steps"
        " WHERE asset_id = ANY($1::uuid[]) AND step = ANY($2::text[]) AND state <> 'done' LIMIT 1",
        ids,
        list(kinds),
    )
    if row is not None:
        raise StackFailed(f"asset {row['asset_id']}: step {row['step']} is {row['state']}: {row['error']}")


async def _previews(resources: Resources, ids: list[uuid.UUID], small: bool = False) -> list[bytes]:
    """Each asset's preview (or ``small``: thumbnail) as stored, read back once."""
    enrichments, found = Enrichments(resources), []
    for asset_id in ids:
        rendition = await enrichments.picture(asset_id, small)
        if rendition is None:
            raise StackFailed(f"asset {asset_id} has no preview")
        url = resources.storage.presign_get(rendition.storage_key, internal=True)
        answer = await asyncio.to_thread(resources.reads.get, url)
        answer.raise_for_status()
        found.append(answer.content)
    return found


def _decode(data: bytes) -> Image.Image:
    """As the steps decode the preview (``dam.jobs.enrich._picture``)."""
    with Image.open(io.BytesIO(data)) as picture:
        picture.load()
        return picture.convert("RGB")


async def _ours(context: Queued, ids: list[uuid.UUID], kind: str) -> None:
    for asset_id in ids:
        await _run(context, asset_id, f"ready: {kind}")


def _each(call: Callable[[Any], object], items: list[Any]) -> None:
    for item in items:
        call(item)


async def _rerun(pool: Pool, ids: list[uuid.UUID], kind: str) -> None:
    """The kind's step waits to run again on every asset (as a reprocess leaves it; untimed)."""
    async with pool.transaction() as conn:
        for asset_id in ids:
            await step_rows.rerun(conn, asset_id, (kind,))


async def _cases(
    context: Queued, ids: list[uuid.UUID], stored: list[bytes], small: list[bytes], meter: Meter
) -> tuple[dict[str, dict[str, Case]], Case]:
    """Every kind's passes, our path and the bare call (on the picture the step reads: the preview
    or the thumbnail) alternating; and decoding the previews alone, once a round."""
    loop = asyncio.get_running_loop()
    previews, thumbnails = [_decode(data) for data in stored], [_decode(data) for data in small]
    read = {kind: thumbnails if kind in SMALL else previews for kind in KINDS}
    passes: dict[str, dict[str, list[Spent]]] = {kind: {"ours": [], "bare": []} for kind in KINDS}
    decoding: list[Spent] = []
    pool = context.resources.pool
    with ThreadPoolExecutor(max_workers=1, initializer=_nicest) as thread:
        bare = {kind: await loop.run_in_executor(thread, load) for kind, load in BARE.items()}
        for kind, call in bare.items():
            await loop.run_in_executor(thread, call, read[kind][0])  # first-use allocations
        for round_ in range(ROUNDS):
            each = functools.partial(_each, _decode, stored)
            decoding.append(await meter.measure(functools.partial(loop.run_in_executor, thread, each)))
            for kind in KINDS:
                order = ("bare", "ours") if round_ % 2 == 0 else ("ours", "bare")
                for case in order:
                    if case == "ours":
                        await _rerun(pool, ids, kind)
                        spent = await meter.measure(functools.partial(_ours, context, ids, kind))
                        await _all_done(pool, ids, (kind,))
                    else:
                        each = functools.partial(_each, bare[kind], read[kind])
                        spent = await meter.measure(functools.partial(loop.run_in_executor, thread, each))
                    passes[kind][case].append(spent)
    cases = {kind: {case: Case(len(ids), p) for case, p in by.items()} for kind, by in passes.items()}
    return cases, Case(len(ids), decoding)


async def _measure(
    env: dict[str, str], ids: list[uuid.UUID], store_pid: int | None, out: Path
) -> StepFigures:
    settings = load_settings(env)
    async with started(settings, worker(Queue.ENRICH)) as resources:
        media = Queued(resources, Queue.MEDIA)
        for asset_id in ids:
            await _run(media, asset_id, "ready: probe, stills")
        models = Models(1)
        try:
            context = Queued(resources, Queue.ENRICH, {"models": models})
            for asset_id in ids:  # the first run loads each model, as a worker's first job does
                await _run(context, asset_id, f"ready: {', '.join(KINDS)}")
            await _all_done(resources.pool, ids, KINDS)
            stored = await _previews(resources, ids)
            small = await _previews(resources, ids, small=True)
            cases, decode = await _cases(context, ids, stored, small, Meter(resources.pool, store_pid))
        finally:
            models.close()
    paths = []
    for n, data in enumerate(stored):
        paths.append(out / f"preview-{n:02d}.webp")
        paths[-1].write_bytes(data)
    return StepFigures(
        cases=cases,
        decode=decode,
        sizes=[_decode(data).size for data in stored],
        preview_bytes=[len(d) for d in stored],
        previews=paths,
    )


def step_figures(store: DevS3, logs: Path, admin_url: str) -> StepFigures:
    """Set up the stack piece, upload and render the pictures, measure every kind; clean up."""
    db_url = admin_url.rsplit("/", 1)[0] + f"/dam_bench_{os.getpid()}_enrich"
    tag = f"dam:bench:{os.getpid()}:enrich"
    env = {
        **os.environ, "DAM_DATABASE_URL": db_url, "DAM_REDIS_URL": REDIS_URL,
        "DAM_S3_ENDPOINT_URL": store.endpoint_url, "DAM_S3_ACCESS_KEY": store.access_key,
        "DAM_S3_SECRET_KEY": store.secret_key, "DAM_S3_BUCKET": "bench-enrich",
        "DAM_QUEUE_NAME": f"{tag}:queue", "DAM_EVENTS_KEY": f"{tag}:s3-events", "DAM_LOG_LEVEL": "warning",
        "DAM_DEV": "true", "DAM_ENRICH": ",".join(KINDS),
    }  # fmt: skip
    store_proc = getattr(store, "_proc", None)  # DevS3 keeps its process to itself; for CPU figures only
    try:
        asyncio.run(ensure_database(db_url))
        upgrade(db_url)
        set_up_store(env)
        key = make_key(env)
        (port,) = free_ports(1)
        api = [sys.executable, "-m", "dam.cli", "--log-level", "warning", "api"]
        url = f"http://127.0.0.1:{port}"
        with serve(api, {**env, "DAM_PORT": str(port)}, f"{url}/health", logs / "enrich-api.log"):
            ids = asyncio.run(_upload(url, key))
        pid = store_proc.pid if store_proc else None
        return asyncio.run(_measure(env, ids, pid, logs))
    finally:
        forget_queues(REDIS_URL, env["DAM_QUEUE_NAME"], env["DAM_EVENTS_KEY"])
        drop_database(admin_url, db_url)
