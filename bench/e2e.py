"""The end-to-end figures: ingest throughput beside a bare Pillow loop, and complete -> ready latency.

They run against ``dam api`` and one ``dam worker`` on a database, bucket, queue and events list of
their own (so nothing else on this PostgreSQL or Redis is touched), with the run's SeaweedFS.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from statistics import median

import msgspec
from arq.jobs import JobResult

from bench.ingest import Latency, Throughput, latency, percentile, throughput
from bench.photos import PHOTO_SIZE, bare_loop, bare_loop_every_core, make_photos, small_jpeg
from bench.stack import (
    Service,
    StackFailed,
    arq_polling,
    cpu_seconds,
    drop_database,
    forget_queue,
    job_results,
    make_key,
    serve,
    set_up_store,
)
from dam.db.migrate import ensure_database, upgrade
from dam.settings import load_settings
from dam_dev.devs3 import DevS3, free_ports

PHOTOS = int(os.environ.get("DAM_BENCH_PHOTOS", "200"))
SMALL_IMAGES = 60
IN_FLIGHT = 8
REDIS_URL = os.environ.get("DAM_REDIS_URL", "redis://127.0.0.1:6379/0")
# The worker's poll of its queue (also the default of DAM_WORKER_POLL_DELAY), stated for the record.
POLL_DELAY = "0.05"


class Stack(msgspec.Struct):
    """The running API and worker, and the SeaweedFS they use."""

    url: str
    key: str
    api: Service
    worker: Service
    store_pid: int

    def alive(self) -> None:
        """Raise (with the process's log) if the API or the worker has exited."""
        self.api.check()
        self.worker.check()

    def stuck(self, what: str) -> StackFailed:
        """An error for a stack that made no progress: the worker's log, and where the API's is."""
        return self.worker.failure(f"{what}; is the worker stuck? (the API's log is {self.api.log})")

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each process taking part, this one (the client) included."""
        pids = {"worker": self.worker.proc.pid, "API": self.api.proc.pid, "SeaweedFS": self.store_pid}
        return {**{name: cpu_seconds(pid) for name, pid in pids.items()}, "client": time.process_time()}


@contextlib.contextmanager
def running_stack(env: dict[str, str], logs: Path, store: DevS3) -> Iterator[Stack]:
    """``dam api`` and one ``dam worker`` (default concurrency), each healthy before the block runs."""
    (port,) = free_ports(1)
    dam = [sys.executable, "-m", "dam.cli", "--log-level", "warning"]
    url = f"http://127.0.0.1:{port}"
    worker_env = {**env, "DAM_WORKER_POLL_DELAY": POLL_DELAY}
    worker_ready = arq_polling(REDIS_URL, env["DAM_QUEUE_NAME"])
    store_proc = getattr(store, "_proc", None)  # DevS3 keeps its process to itself; for CPU figures only
    set_up_store(env)  # the API checks the bucket; it no longer makes it
    with (
        serve([*dam, "api"], {**env, "DAM_PORT": str(port)}, f"{url}/health", logs / "ingest-api.log") as api,
        serve([*dam, "worker"], worker_env, worker_ready, logs / "ingest-worker.log") as worker,
    ):
        store_pid = store_proc.pid if store_proc else os.getpid()
        yield Stack(url=url, key=make_key(env), api=api, worker=worker, store_pid=store_pid)


def ingest_figures(store: DevS3, logs: Path, admin_url: str, cache: Path) -> None:
    """Make (or reuse) the photos, time the bare loop, then both figures against the stack; print them."""
    # Bump the folder's version when bench/photos.py makes different photos.
    photos = make_photos(cache / f"photos-{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}-v1", PHOTOS)
    bare_cpu = time.process_time()
    bare_seconds = bare_loop(photos)
    bare_cpu = time.process_time() - bare_cpu
    every_core = bare_loop_every_core(photos)
    digests = [hashlib.sha256(path.read_bytes()).hexdigest() for path in photos]  # as the client knows them
    db_url = admin_url.rsplit("/", 1)[0] + f"/dam_bench_{os.getpid()}_ingest"
    tag = f"dam:bench:{os.getpid()}"
    env = {
        **os.environ, "DAM_DATABASE_URL": db_url, "DAM_REDIS_URL": REDIS_URL,
        "DAM_S3_ENDPOINT_URL": store.endpoint_url, "DAM_S3_ACCESS_KEY": store.access_key,
        "DAM_S3_SECRET_KEY": store.secret_key, "DAM_S3_BUCKET": "bench-ingest",
        "DAM_QUEUE_NAME": f"{tag}:queue", "DAM_EVENTS_KEY": f"{tag}:s3-events", "DAM_LOG_LEVEL": "warning",
        "DAM_DEV": "true",
    }  # fmt: skip
    job_ids: list[str] = []
    try:
        asyncio.run(ensure_database(db_url))
        upgrade(db_url)
        with running_stack(env, logs, store) as stack:
            before = stack.cpu()
            ingest = asyncio.run(throughput(stack, photos, digests, in_flight=IN_FLIGHT))
            cpu = {name: spent - before[name] for name, spent in stack.cpu().items()}
            job_ids += ingest.job_ids
            small = [small_jpeg(10_000 + n) for n in range(SMALL_IMAGES)]
            waits = asyncio.run(latency(stack, small))
            job_ids += waits.job_ids
        jobs = job_results(REDIS_URL, job_ids)
    finally:
        forget_queue(REDIS_URL, env["DAM_QUEUE_NAME"], env["DAM_EVENTS_KEY"], job_ids)
        drop_database(admin_url, db_url)
    ingest_jobs = [jobs[j] for j in ingest.job_ids if j in jobs]
    _print_throughput(ingest, bare_seconds, every_core, photos, ingest_jobs)
    _print_cpu(cpu, bare_cpu, len(photos))
    _print_latency(waits, [jobs[j] for j in waits.job_ids if j in jobs])


def _print_cpu(cpu: dict[str, float], bare_cpu: float, count: int) -> None:
    shares = ", ".join(f"{name} {spent / count * 1000:.0f}" for name, spent in cpu.items())
    print(f"  CPU ms per asset: {shares} (bare loop {bare_cpu / count * 1000:.0f})")
    print(f"  worker CPU / bare loop CPU per photo: {cpu['worker'] / bare_cpu:.2f}x   (target <= 1.1x)")


def _ms(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() * 1000


def _print_throughput(
    ingest: Throughput,
    bare_seconds: float,
    every_core: tuple[float, int],
    photos: list[Path],
    jobs: list[JobResult],
) -> None:
    mib = sum(p.stat().st_size for p in photos) / len(photos) / 2**20
    bare_rate = len(photos) / bare_seconds
    size = f"{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}, {mib:.1f} MiB each"
    print(f"\n## End-to-end ingest: {len(photos)} photos of {size}, first create -> last ready")
    print(f"dam stack (API, 1 worker)  {ingest.seconds:7.1f} s  {ingest.per_second:6.2f} assets/s   "
          f"({IN_FLIGHT} in flight; last complete answered at {ingest.uploaded:.1f} s)")  # fmt: skip
    if jobs:
        runs = [_ms(j.start_time, j.finish_time) for j in jobs]
        at_once = load_settings(os.environ).worker.concurrency  # the worker's environment is ours
        print(f"  worker job run: p50 {median(runs):.0f} ms, p90 {percentile(runs, 0.9):.0f} ms "
              f"({at_once} at a time)")  # fmt: skip
    print(f"bare Pillow loop           {bare_seconds:7.1f} s  {bare_rate:6.2f} assets/s   "
          f"(one process, local files: draft decode, upright, 1280 + 320 WebP)")  # fmt: skip
    print(f"ratio                      {ingest.per_second / bare_rate:7.2f}x   (target >= 0.8x)")
    seconds, cores = every_core
    print(f"bare loop, {cores} processes     {seconds:7.1f} s  {len(photos) / seconds:6.2f} assets/s   "
          f"(one per core: the media work at this machine's limit)")  # fmt: skip
    print(f"ratio to every core        {ingest.per_second * seconds / len(photos):7.2f}x")


def _print_latency(waits: Latency, jobs: list[JobResult]) -> None:
    ms = [s * 1000 for s in waits.seconds]
    print(f"\n## complete -> ready, {len(ms)} small JPEGs (640x480) one at a time on an idle stack "
          f"(GET every 5 ms)")  # fmt: skip
    print(f"p50 {percentile(ms, 0.5):6.0f} ms   p99 {percentile(ms, 0.99):6.0f} ms   "
          f"min {min(ms):.0f} ms, max {max(ms):.0f} ms   (target p50 <= 100 ms)")  # fmt: skip
    parts = [f"complete answered p50 {median(waits.complete_seconds) * 1000:.0f} ms"]
    if jobs:
        queued = [_ms(j.enqueue_time, j.start_time) for j in jobs]
        runs = [_ms(j.start_time, j.finish_time) for j in jobs]
        parts.append(
            f"queued until a worker took it p50 {median(queued):.0f} ms,"
            f" p99 {percentile(queued, 0.99):.0f} ms"
        )
        parts.append(f"job run p50 {median(runs):.0f} ms")
    print(f"  {'; '.join(parts)}")
    print(
        f"  (the worker is woken by each job queued; DAM_WORKER_POLL_DELAY={POLL_DELAY} is its longest wait)"
    )
