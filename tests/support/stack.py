"""The stack a browser test talks to: API and worker as real processes on a free port."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support.processes import dam, env_of
from tests.support.store import allow_origin


@contextlib.asynccontextmanager
async def running(
    settings: Settings, log_dir: Path, *, transcode: bool = False, enrich: bool = False, **extra: str
) -> AsyncIterator[str]:
    """API and worker as real processes (and the transcode worker, which makes streams, with
    ``transcode``; the enrich worker, which runs the models ``DAM_ENRICH`` names, with ``enrich``);
    the page's origin is allowed by the bucket's CORS rules."""
    (port,) = free_ports(1)
    origin = f"http://127.0.0.1:{port}"
    env = env_of(settings, DAM_PORT=str(port), DAM_CORS_ORIGINS=origin, **extra)
    allow_origin(settings, origin)
    async with contextlib.AsyncExitStack() as stack:
        api = await stack.enter_async_context(dam("api", env=env, log_dir=log_dir))
        await stack.enter_async_context(dam("worker", env=env, log_dir=log_dir))
        if transcode:
            await stack.enter_async_context(
                dam("worker", "--queue", "transcode", env=env, log_dir=log_dir, name="transcode")
            )
        if enrich:
            await stack.enter_async_context(
                dam("worker", "--queue", "enrich", env=env, log_dir=log_dir, name="enrich")
            )
        await api.healthy(origin + "/health")
        yield origin
