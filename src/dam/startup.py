"""How each kind of process starts and stops: ``api``, ``worker:<queue>``, ``bridge`` and ``cli``.

Every process configures logging once (``configure``, from ``dam``'s entry point), then opens its
resources with ``started``, which closes them in reverse order on the way out. What differs by
kind is said here; a worker then opens its queue's tools (``dam.jobs.context``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from arq.connections import ArqRedis

from dam import logs
from dam.resources import Resources, open_resources
from dam.settings import Settings

log = logging.getLogger(__name__)

API, BRIDGE, CLI = "api", "bridge", "cli"


def worker(queue: str) -> str:
    """The process name of a worker of ``queue``."""
    return f"worker:{queue}"


def configure(settings: Settings, process: str, *, level: str | None = None) -> None:
    """Configure this process's logging once, from ``DAM_LOG_LEVEL`` and ``DAM_LOG_FORMAT``
    (``level``, e.g. ``--log-level``, wins over the setting)."""
    logs.configure(process, level=level or settings.log.level, fmt=settings.log.format)


@contextlib.asynccontextmanager
async def started(
    settings: Settings, process: str, *, queue: ArqRedis | None = None
) -> AsyncIterator[Resources]:
    """What a process of this kind opens at start-up (``queue``: a worker's arq Redis), closed in
    reverse order when the block ends."""
    async with open_resources(settings, queue=queue, ensure_bucket=process == API) as resources:
        yield resources
