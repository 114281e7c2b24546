"""Does a busy enrich worker slow the media queue? ``complete`` -> ``ready`` of small images with an
enrich worker busy beside the media worker, against the same with it paused, in one run.

The stack of ``bench.e2e`` (``dam api`` and one media worker) with every enrichment kind on, on a
database, bucket and queues of its own, and ``dam worker --queue enrich`` beside them. The 200 photos
of the ingest figure go through the stack first: their enrichment queues up, and the enrich worker
has work for longer than the run lasts. Then small JPEGs one at a time (``bench.ingest.latency``)
in blocks, the enrich worker working during one block and stopped (SIGSTOP: it holds its memory
and uses no CPU) during the next, in the order busy, quiet, quiet, busy... so that a change of load
on this shared machine falls on both alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import asyncpg
import msgspec

from bench.e2e import PHOTOS, REDIS_URL, running_stack
from bench.ingest import Latency, Running, Throughput, latency, throughput
from bench.photos import PHOTO_SIZE, make_photos, small_jpeg
from bench.stack import Service, arq_polling, cpu_seconds, drop_database, forget_queues, job_results, serve
from dam import keys
from dam.db.migrate import ensure_database, upgrade
from dam.domain.steps import Queue
from dam_dev.devs3 import DevS3

KINDS = "ocr,objects,scenes,similar"
IMAGES = 80  # small images, half of them while the enrich worker works
BLOCKS = 8  # of IMAGES / BLOCKS each, busy and quiet in turn
SEED = 20_000  # of the small images (bench.e2e's latency run uses 10,000 on)


class Busy(msgspec.Struct, frozen=True):
    """What the enrich worker did during the busy blocks, and its peak resident memory."""

    cpu_seconds: float
    seconds: float
    done_before: int
    done_after: int
    waiting_after: int
    peak_kib: int


class LatencyFigures(msgspec.Struct, frozen=True):
    """Both cases' latencies (seconds), their jobs' time queued and run (ms, from arq's results),
    the ingest that made the enrich worker busy, and what it did meanwhile."""

    quiet: list[float]
    busy: list[float]
    queued: dict[str, list[float]]
    ran: dict[str, list[float]]
    ingest: Throughput
    worker: Busy


def _ms(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() * 1000


def _tree(pid: int) -> list[int]:
    """The process and its children: ``dam worker --queue enrich`` is a governor and its worker
    (``dam.governor``)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(int(c) for c in children)]


def _vm_hwm(pid: int) -> int:
    """The largest peak resident memory among the process and its children (the worker's)."""
    peaks = [0]
    for each in _tree(pid):
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]))
    return max(peaks)


def _cpu(pid: int) -> float:
    """CPU seconds of the process and its children, the governor's polling included."""
    return sum(cpu_seconds(each) for each in _tree(pid))


async def _steps(db_url: str) -> tuple[int, int]:
    """Enrichment steps done, and waiting (pending or running), in the run's database."""
    conn = await asyncpg.connect(db_url)
    try:
        row = await conn.fetchrow(
            """SELECT count(*) FILTER (WHERE state = 'done') AS done,
                      count(*) FILTER (WHERE state IN ('pending', 'running')) AS waiting
                 FROM asset_steps WHERE step = ANY($1::text[])""",
            KINDS.split(","),
        )
    finally:
        await conn.close()
    assert row is not None
    return int(row["done"]), int(row["waiting"])


@contextlib.contextmanager
def _paused(service: Service) -> Iterator[None]:
    """The process and its children stopped (SIGSTOP; the governor first, so that it does not let its
    worker go on) until the block ends, then continued."""
    tree = _tree(service.proc.pid)
    for pid in tree:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in reversed(tree):
            os.kill(pid, signal.SIGCONT)


def _blocks(
    stack: Running, enricher: Service, db_url: str, small: list[bytes]
) -> tuple[Latency, Latency, Busy]:
    """The small images in ``BLOCKS`` blocks, busy and quiet in turn (ABBA); what the worker did."""
    quiet, busy = Latency([], [], []), Latency([], [], [])
    done_before, _ = asyncio.run(_steps(db_url))
    cpu = seconds = 0.0
    size = len(small) // BLOCKS
    for block in range(BLOCKS):
        images = small[block * size : (block + 1) * size]
        working = block % 4 in (0, 3)
        started, used = time.perf_counter(), _cpu(enricher.proc.pid)
        with contextlib.nullcontext() if working else _paused(enricher):
            waits = asyncio.run(latency(stack, images))
        enricher.check()
        if working:
            cpu += _cpu(enricher.proc.pid) - used
            seconds += time.perf_counter() - started
        into = busy if working else quiet
        for field in ("seconds", "complete_seconds", "job_ids"):
            getattr(into, field).extend(getattr(waits, field))
    done_after, waiting = asyncio.run(_steps(db_url))
    worker = Busy(
        cpu_seconds=cpu, seconds=seconds, done_before=done_before, done_after=done_after,
        waiting_after=waiting, peak_kib=_vm_hwm(enricher.proc.pid),
    )  # fmt: skip
    return quiet, busy, worker


def latency_figures(store: DevS3, logs: Path, admin_url: str, cache: Path) -> LatencyFigures:
    """Quiet, busy, quiet again (see the module's docstring); clean up."""
    photos = make_photos(cache / f"photos-{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}-v1", PHOTOS)
    digests = [hashlib.sha256(path.read_bytes()).hexdigest() for path in photos]
    small = [small_jpeg(SEED + n) for n in range(IMAGES)]
    db_url = admin_url.rsplit("/", 1)[0] + f"/dam_bench_{os.getpid()}_busy"
    tag = f"dam:bench:{os.getpid()}:busy"
    env = {
        **os.environ, "DAM_DATABASE_URL": db_url, "DAM_REDIS_URL": REDIS_URL,
        "DAM_S3_ENDPOINT_URL": store.endpoint_url, "DAM_S3_ACCESS_KEY": store.access_key,
        "DAM_S3_SECRET_KEY": store.secret_key, "DAM_S3_BUCKET": "bench-busy",
        "DAM_QUEUE_NAME": f"{tag}:queue", "DAM_EVENTS_KEY": f"{tag}:s3-events", "DAM_LOG_LEVEL": "warning",
        "DAM_DEV": "true", "DAM_ENRICH": KINDS,
    }  # fmt: skip
    enrich = [sys.executable, "-m", "dam.cli", "--log-level", "warning", "worker", "--queue", Queue.ENRICH]
    enrich_ready = arq_polling(REDIS_URL, keys.queue_key(env["DAM_QUEUE_NAME"], Queue.ENRICH))
    job_ids: list[str] = []
    try:
        asyncio.run(ensure_database(db_url))
        upgrade(db_url)
        with (
            running_stack(env, logs, store) as stack,
            serve(enrich, env, enrich_ready, logs / "busy-enrich-worker.log") as enricher,
        ):
            ingest = asyncio.run(throughput(stack, photos, digests))
            quiet, busy, worker = _blocks(stack, enricher, db_url, small)
            job_ids += [*ingest.job_ids, *quiet.job_ids, *busy.job_ids]
        jobs = job_results(REDIS_URL, job_ids)
    finally:
        forget_queues(REDIS_URL, env["DAM_QUEUE_NAME"], env["DAM_EVENTS_KEY"], job_ids)
        drop_database(admin_url, db_url)
    kept = {
        "quiet": [jobs[j] for j in quiet.job_ids if j in jobs],
        "busy": [jobs[j] for j in busy.job_ids if j in jobs],
    }
    return LatencyFigures(
        quiet=quiet.seconds, busy=busy.seconds, ingest=ingest, worker=worker,
        queued={case: [_ms(j.enqueue_time, j.start_time) for j in found] for case, found in kept.items()},
        ran={case: [_ms(j.start_time, j.finish_time) for j in found] for case, found in kept.items()},
    )  # fmt: skip
