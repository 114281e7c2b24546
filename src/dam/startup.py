"""How each kind of process starts and stops: ``api``, ``worker:<queue>``, ``bridge`` and ``cli``.

Every process configures logging once (``configure``, from ``dam``'s entry point), then opens its
resources with ``started``, which closes them in reverse order on the way out. What differs by
kind is said here: the API checks that the store answers and its bucket exists (``dam setup-store``
makes it, once per deployment); a worker then opens its queue's tools (``dam.jobs.context``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from arq.connections import ArqRedis
from botocore.exceptions import ClientError

from dam import logs
from dam.domain.errors import StorageUnavailable
from dam.resources import Resources, open_resources
from dam.settings import Settings
from dam.storage.s3 import Storage, open_storage

log = logging.getLogger(__name__)

API, BRIDGE, CLI = "api", "bridge", "cli"


class StoreNotSetUp(RuntimeError):
    """The store answers but the bucket does not exist: ``dam setup-store`` was not run."""


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
    async with open_resources(settings, queue=queue) as resources:
        if process == API:
            await check_store(resources.storage)
        yield resources


async def check_store(storage: Storage) -> None:
    """The API's start-up check: a store that does not answer is logged and left to ``/ready``
    (it may come back); one that answers without the bucket is a deployment not set up."""
    try:
        await storage.ping()
    except StorageUnavailable as exc:
        log.error("object storage not ready at start-up: %s", exc.detail)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        raise StoreNotSetUp(
            f"the bucket {storage.bucket!r} cannot be used ({code or exc}): run `dam setup-store` once"
            " to create it and apply its CORS rules (`make run` and compose's setup-store service do)"
        ) from None


async def setup_store(settings: Settings) -> None:
    """``dam setup-store``: create the bucket if missing and apply its browser CORS rules (idempotent)."""
    async with open_storage(settings.s3) as storage:
        origins, any_origin = settings.cors_origins(), settings.stream.store_any_origin
        await storage.ensure_bucket(origins, any_origin_reads=any_origin)
