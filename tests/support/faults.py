"""Outages on purpose: a database of a test's own that stops accepting connections, a Redis server of
a test's own that dies and comes back. Never the machine's shared services."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import redis

from dam.db.migrate import ensure_database, upgrade
from dam_dev.devs3 import free_ports
from tests.support.config import ADMIN_URL

REDIS_START_DEADLINE = 30.0


@contextlib.asynccontextmanager
async def own_database() -> AsyncIterator[str]:
    """A database only this test uses, migrated from empty, dropped at the end."""
    name = f"dam_fault_{uuid.uuid4().hex[:12]}"
    url = urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}"))
    assert await ensure_database(url)
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def refuse_connections(url: str, refuse: bool = True) -> int:
    """Make the database refuse new connections (and end the open ones), or accept them again.

    Returns how many open connections were terminated.
    """
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if refuse else "true"}')
        if not refuse:
            return 0
        ended = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1", name
        )
        return int(ended)
    finally:
        await admin.close()


class RedisServer:
    """A ``redis-server`` of the test's own on a free loopback port, killed and restarted at will."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.fail("redis-server is not installed (Debian package redis-server)")
        (self.port,) = free_ports(1)
        self.workdir = workdir
        self.log_path = workdir / "redis.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where clients connect."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start (again) on the same port, without persistence, and wait until it answers PING."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self.workdir), "--logfile", str(self.log_path),
        ]  # fmt: skip
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + REDIS_START_DEADLINE
        try:
            while True:
                if self._proc.poll() is not None:
                    pytest.fail(f"redis-server exited with {self._proc.returncode}; see {self.log_path}")
                with contextlib.suppress(redis.RedisError):
                    if client.ping():
                        return self
                if time.monotonic() > deadline:
                    pytest.fail(f"redis-server on {self.port} did not answer within {REDIS_START_DEADLINE}s")
                time.sleep(0.05)
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: what a crashed or OOM-killed Redis looks like (without persistence, data is gone)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=20)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()
