"""End-to-end ingest against the running stack: what a client sees from create to ``ready``.

Both figures go through the public API as a client would (create, PUT through the presigned URL,
complete, GET until ready). Every wait has a deadline; ``stack.alive()`` is called while waiting and
raises when a service process has died, so a broken stack fails at once with that process's log, and a
stack that stops making progress fails at the deadline with the worker's log.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import httpx
import msgspec

from bench.stack import StackFailed
from dam import keys
from dam.domain.steps import Queue


class Running(Protocol):
    """What the figures need of the running stack."""

    url: str
    key: str  # an API key of the stack's workspace, sent to the API only (never to the store)

    def alive(self) -> None:
        """Raise if a service process has exited."""

    def stuck(self, what: str) -> StackFailed:
        """An error for a stack that made no progress, naming the worker's log."""


class Throughput(msgspec.Struct):
    """Many photos through the stack: seconds from the first create to the last ``ready``."""

    assets: int
    seconds: float
    uploaded: float  # seconds until the last complete answered
    job_ids: list[str]

    @property
    def per_second(self) -> float:
        """Assets per second."""
        return self.assets / self.seconds


class Latency(msgspec.Struct):
    """Seconds from sending ``complete`` to seeing ``ready``, one per asset."""

    seconds: list[float]
    complete_seconds: list[float]  # until the complete call answered (HEAD, status change, enqueue)
    job_ids: list[str]


def percentile(values: list[float], q: float) -> float:
    """The q-quantile by nearest rank (q in 0..1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def job_id(asset: dict[str, Any]) -> str:
    """The id of the asset's processing job, as the service derives it."""
    return keys.job_id(Queue.MEDIA, uuid.UUID(asset["id"]), asset["etag"])


async def _call(
    client: httpx.AsyncClient, method: str, url: str, expect: int, key: str, **kw: Any
) -> dict[str, Any]:
    response = await client.request(method, url, headers={"Authorization": f"Bearer {key}"}, **kw)
    if response.status_code != expect:
        raise StackFailed(f"{method} {url} answered {response.status_code}: {response.text[:300]}")
    answer: dict[str, Any] = response.json()
    return answer


async def create_and_put(
    client: httpx.AsyncClient, api: str, key: str, name: str, data: bytes, sha256: str
) -> str:
    """Create the asset with its size and sha256, PUT the bytes to storage; returns the asset id."""
    body = {"filename": name, "content_type": "image/jpeg", "size": len(data), "sha256": sha256}
    asset = await _call(client, "POST", f"{api}/assets", 201, key, json=body)
    upload = asset["upload"]
    response = await client.put(upload["url"], content=data, headers=upload["headers"])
    if response.status_code != 200:
        raise StackFailed(
            f"storage answered {response.status_code} to a presigned PUT: {response.text[:300]}"
        )
    return str(asset["id"])


async def wait_ready(
    client: httpx.AsyncClient,
    api: str,
    key: str,
    asset_id: str,
    *,
    every: float,
    deadline: float,
    alive: Callable[[], None],
) -> dict[str, Any]:
    """GET the asset every ``every`` seconds until ready; raise on failed, a dead stack or the deadline."""
    while True:
        asset = await _call(client, "GET", f"{api}/assets/{asset_id}", 200, key)
        if asset["status"] == "ready":
            return asset
        if asset["status"] == "failed":
            raise StackFailed(f"asset {asset_id} failed: {asset['error']}")
        alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"asset {asset_id} is still {asset['status']}")
        await asyncio.sleep(every)


async def throughput(
    stack: Running,
    paths: list[Path],
    digests: list[str],
    *,
    in_flight: int = 8,
    within: float = 300,
) -> Throughput:
    """Create, PUT and complete every photo (``in_flight`` at a time) and wait until all are ready."""
    api = stack.url
    gate = asyncio.Semaphore(in_flight)
    completed: asyncio.Queue[str] = asyncio.Queue()
    last_complete = [0.0]
    deadline = time.monotonic() + within
    limits = httpx.Limits(max_connections=in_flight + 2, max_keepalive_connections=in_flight + 2)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def ingest(path: Path, sha256: str) -> None:
            async with gate:
                data = await asyncio.to_thread(path.read_bytes)
                asset_id = await create_and_put(client, api, stack.key, path.name, data, sha256)
                await _call(client, "POST", f"{api}/assets/{asset_id}/complete", 202, stack.key)
            last_complete[0] = time.perf_counter()
            await completed.put(asset_id)

        async def watch() -> list[str]:
            # Jobs run roughly in completion order: wait on each in turn, so one GET is in flight at a time.
            ids = []
            for _ in paths:
                asset_id = await completed.get()
                asset = await wait_ready(
                    client, api, stack.key, asset_id, every=0.05, deadline=deadline, alive=stack.alive
                )
                ids.append(job_id(asset))
            return ids

        started = time.perf_counter()
        try:
            async with asyncio.TaskGroup() as group:
                for path, sha256 in zip(paths, digests, strict=True):
                    group.create_task(ingest(path, sha256))
                watcher = group.create_task(watch())
        except BaseExceptionGroup as failed:
            error = failed.exceptions[0]
            if isinstance(error, httpx.HTTPError):
                stack.alive()  # a dead API or worker explains a refused connection best
            if isinstance(error, TimeoutError):
                raise stack.stuck(f"{len(paths)} photos not all ready within {within:g}s ({error})") from None
            raise error from None
        return Throughput(
            assets=len(paths),
            seconds=time.perf_counter() - started,
            uploaded=last_complete[0] - started,
            job_ids=watcher.result(),
        )


async def latency(stack: Running, images: list[bytes], *, within: float = 10) -> Latency:
    """For each image in turn: create and PUT (untimed), then time ``complete`` until ``ready``."""
    # A random pause before each complete, so the samples do not lock onto the worker's poll cadence
    # (the previous asset turned ready just after a poll, and the next would always wait a full period).
    api, pauses = stack.url, random.Random(0)
    result = Latency(seconds=[], complete_seconds=[], job_ids=[])
    async with httpx.AsyncClient(timeout=30) as client:
        for n, data in enumerate(images):
            try:
                asset_id = await create_and_put(client, api, stack.key, f"small-{n}.jpg", data, _sha256(data))
                await asyncio.sleep(pauses.uniform(0, 0.5))
                started = time.perf_counter()
                await _call(client, "POST", f"{api}/assets/{asset_id}/complete", 202, stack.key)
                answered = time.perf_counter()
                deadline = time.monotonic() + within
                asset = await wait_ready(
                    client, api, stack.key, asset_id, every=0.005, deadline=deadline, alive=stack.alive
                )
            except TimeoutError as exc:
                raise stack.stuck(f"{exc} {within:g}s after complete") from None
            except httpx.HTTPError:
                stack.alive()  # a dead API or worker explains a refused connection best
                raise
            result.seconds.append(time.perf_counter() - started)
            result.complete_seconds.append(answered - started)
            result.job_ids.append(job_id(asset))
    return result


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
