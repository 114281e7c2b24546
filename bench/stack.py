"""Service processes for the benchmarks: one start path with a health deadline, one stop path.

A process that exits early, or is not healthy by its deadline, fails the run with the tail of its own
log file, so a broken stack says why instead of hanging or printing a figure of nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import redis
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix, retry_key_prefix
from arq.jobs import DeserializationError, JobResult, deserialize_result

ROOT = Path(__file__).resolve().parents[1]


class StackFailed(RuntimeError):
    """A benchmark's service process died, was never healthy, or stopped making progress."""


def log_tail(log: Path, lines: int = 30) -> str:
    """The last lines of a log file, indented, for an error message."""
    try:
        text = log.read_text(errors="replace").splitlines()[-lines:]
    except OSError as exc:
        return f"    (log unreadable: {exc})"
    return "\n".join(f"    {line}" for line in text) or "    (log is empty)"


class Service:
    """A running process with its name and log file."""

    def __init__(self, name: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.name = name
        self.proc = proc
        self.log = log

    def failure(self, what: str) -> StackFailed:
        """An error naming the process, its log file and the log's tail."""
        return StackFailed(f"{self.name}: {what}; its log is {self.log}, ending with:\n{log_tail(self.log)}")

    def check(self) -> None:
        """Raise if the process has exited."""
        code = self.proc.poll()
        if code is not None:
            raise self.failure(f"exited early with code {code}")

    def wait_healthy(self, healthy: Callable[[], bool], timeout: float) -> None:
        """Poll ``healthy`` until it answers True, the process exits, or the deadline passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check()
            if healthy():
                return
            time.sleep(0.1)
        self.check()
        raise self.failure(f"not healthy within {timeout:g}s")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process (all its threads) has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def http_answers(url: str) -> Callable[[], bool]:
    """A health probe: any HTTP answer from ``url`` means the server is up."""

    def probe() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback URL we built
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    return probe


def arq_polling(redis_url: str, queue: str) -> Callable[[], bool]:
    """A health probe for a worker: arq writes ``<queue>:health-check`` on its first poll."""

    def probe() -> bool:
        try:
            with redis.Redis.from_url(redis_url, socket_timeout=2) as client:
                return bool(client.exists(f"{queue}:health-check"))
        except redis.RedisError:
            return False

    return probe


@contextlib.contextmanager
def serve(
    argv: list[str],
    env: dict[str, str],
    health: str | Callable[[], bool],
    log: Path,
    *,
    name: str | None = None,
    timeout: float = 30,
) -> Iterator[Service]:
    """Run a process until the block ends; ``health`` is a URL that must answer, or a probe."""
    probe = http_answers(health) if isinstance(health, str) else health
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        service = Service(name or log.stem, proc, log)
        try:
            service.wait_healthy(probe, timeout)
            yield service
        finally:
            service.stop()


def job_results(redis_url: str, job_ids: list[str]) -> dict[str, JobResult]:
    """arq's kept results of these jobs (enqueue, start and finish times), by job id."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        keys = [result_key_prefix + job_id for job_id in job_ids]
        raw = (
            cast(list[bytes | None], client.mget(keys)) if keys else []
        )  # redis-py types sync and async as one
    finally:
        client.close()
    results = {}
    for job_id, data in zip(job_ids, raw, strict=True):
        if data is not None:
            results[job_id] = deserialize_result(data)
    return results


def forget_queue(redis_url: str, queue: str, events_key: str, job_ids: list[str]) -> None:
    """Delete what a benchmark left in Redis: its queue, events list, jobs and results; nothing else."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        keys = [queue, f"{queue}:health-check", f"{queue}:wake", events_key]
        keys += [f"{events_key}:processing", f"{events_key}:dead"]
        for prefix in (job_key_prefix, in_progress_key_prefix, retry_key_prefix):
            keys += [prefix + job_id for job_id in job_ids]
        # Results carry the queue their job ran on: ours go (the reconciler's too, and those of jobs
        # a failed run never learnt the ids of); other queues' stay.
        for key in client.scan_iter(match=f"{result_key_prefix}*", count=1000):
            data = cast(bytes | None, client.get(key))
            with contextlib.suppress(DeserializationError):
                if data is not None and deserialize_result(data).queue_name == queue:
                    keys.append(key.decode())
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    finally:
        client.close()


def forget_queues(redis_url: str, queue_name: str, events_key: str, job_ids: list[str] | None = None) -> None:
    """``forget_queue`` for every work queue of ``DAM_QUEUE_NAME`` ``queue_name``, with the jobs still
    waiting in each (the bench never runs some: a queue without a worker) besides ``job_ids``."""
    from dam import keys
    from dam.domain.steps import QUEUES

    for queue in QUEUES:
        key = keys.queue_key(queue_name, queue)
        client = redis.Redis.from_url(redis_url, socket_timeout=5)
        try:
            waiting = [m.decode() for m in cast(list[bytes], client.zrange(key, 0, -1))]
        finally:
            client.close()
        forget_queue(redis_url, key, events_key, [*waiting, *(job_ids or [])])


def drop_database(admin_url: str, url: str) -> None:
    """Drop the benchmark database named in ``url`` (connected through ``admin_url``)."""
    import asyncpg

    async def drop() -> None:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(drop())


def set_up_store(env: dict[str, str]) -> None:
    """``dam setup-store`` for the bucket ``env`` names, as a deployment runs it before the API."""
    made = subprocess.run(
        [sys.executable, "-m", "dam.cli", "--log-level", "warning", "setup-store"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        raise StackFailed(f"dam setup-store failed: {made.stderr.strip()[-500:]}")


def make_key(env: dict[str, str], workspace: str = "bench") -> str:
    """An API key (contributor) of a workspace of the database ``env`` names, as an operator makes
    one: ``dam admin create-key``, whose last line is the key."""
    made = subprocess.run(
        [sys.executable, "-m", "dam.cli", "--log-level", "warning", "admin", "create-key",
         "--workspace", workspace, "--role", "contributor", "--name", "bench"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        raise StackFailed(f"dam admin create-key failed: {made.stderr.strip()[-500:]}")
    return made.stdout.strip().splitlines()[-1]
