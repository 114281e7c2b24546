"""The enrich worker gives way to ingest: ``dam worker --queue enrich`` runs the worker as a child
that is stopped while the media queue (real Redis) has a job due or running, for a bounded time,
and never outlives its governor."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from dam import governor, keys
from dam.domain.steps import Queue
from dam.settings import Settings
from tests.support.processes import dam, env_of

pytestmark = pytest.mark.integration
DEADLINE = 60.0  # generous: the machine is shared


def _state(pid: int) -> str | None:
    """The process's state letter (T: stopped), None once it is gone (or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    state = stat.rsplit(")", 1)[1].split()[0]
    return None if state in ("Z", "X") else state


async def _until(what: str, check: Callable[[], bool], within: float = DEADLINE) -> float:
    """Poll ``check`` until it holds; the seconds it took."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within:
            pytest.fail(f"not within {within:g} s: {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def _worker_of(pid: int) -> int:
    """The governor's child: the worker."""
    found: list[str] = []

    def started() -> bool:
        found[:] = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return bool(found)

    await _until("the governor starts its worker", started)
    return int(found[0])


def _running(pid: int) -> Callable[[], bool]:
    return lambda: _state(pid) not in ("T", None)


async def test_the_enrich_worker_is_stopped_while_the_media_queue_has_work(
    settings: Settings, process_logs: Path
) -> None:
    key = keys.queue_key(settings.redis.queue_name, Queue.MEDIA)
    redis = Redis.from_url(settings.redis.url)
    env = env_of(settings, DAM_ENRICH="similar")
    try:
        async with dam("worker", "--queue", "enrich", env=env, log_dir=process_logs, name="enrich") as boss:
            worker = await _worker_of(boss.process.pid)
            assert _running(worker)()
            # A media job due: the worker stops; the queue empty again: it goes on.
            await redis.zadd(key, {"job-due": int(time.time() * 1000)})
            await _until("stopped while a media job is due", lambda: _state(worker) == "T")
            await redis.zrem(key, "job-due")
            await _until("going on once the media queue is empty", _running(worker))
            # Under a media job that never ends, it is let go after MAX_PAUSE, then stopped again.
            await redis.zadd(key, {"job-long": int(time.time() * 1000)})
            await _until("stopped", lambda: _state(worker) == "T")
            held = await _until("let go after the longest pause", _running(worker))
            assert held >= governor.MAX_PAUSE * 0.9, held
            await _until("stopped again", lambda: _state(worker) == "T")
            boss.assert_running()
            # The governor killed outright takes its (stopped) worker with it: none is left behind.
            boss.kill()
            await _until("the worker gone with its governor", lambda: _state(worker) is None)
    finally:
        await redis.delete(key)
        await redis.aclose()


async def test_a_stopped_worker_ends_cleanly_on_sigterm(settings: Settings, process_logs: Path) -> None:
    key = keys.queue_key(settings.redis.queue_name, Queue.MEDIA)
    redis = Redis.from_url(settings.redis.url)
    try:
        await redis.zadd(key, {"job-due": int(time.time() * 1000)})
        env = env_of(settings, DAM_ENRICH="similar")
        async with dam("worker", "--queue", "enrich", env=env, log_dir=process_logs, name="enrich") as boss:
            worker = await _worker_of(boss.process.pid)
            await _until("stopped while a media job is due", lambda: _state(worker) == "T")
            # SIGTERM is passed on with a SIGCONT: the worker ends (stopped before its handler was
            # set, by the signal: 128 + 15), and the governor with its code, never SIGKILLed.
            code = await asyncio.to_thread(boss.stop)
            assert code in (0, 128 + signal.SIGTERM), boss.describe()
            assert _state(worker) is None
    finally:
        await redis.delete(key)
        await redis.aclose()
