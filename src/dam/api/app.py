"""Application factory: one place registers controllers, error handlers and process resources."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin

import dam
from dam.api import errors
from dam.api.assets import AssetController
from dam.api.frontend import frontend_routes
from dam.api.health import health, ready
from dam.api.jobs import jobs_api, jobs_page
from dam.db.pool import create_pool
from dam.domain.errors import StorageUnavailable
from dam.ingest import Ingest
from dam.jobs.queue import close_queue, open_queue
from dam.settings import Settings
from dam.storage.s3 import open_storage

log = logging.getLogger(__name__)

OPENAPI_PATH = "/docs"  # Swagger UI here; the document at /docs/openapi.json


def create_app(settings: Settings) -> Litestar:
    """Build the API for the given settings."""

    @contextlib.asynccontextmanager
    async def resources(app: Litestar) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            pool = await create_pool(settings.db)
            stack.push_async_callback(pool.close)
            storage = await stack.enter_async_context(open_storage(settings.s3))
            try:
                await storage.ensure_bucket(settings.cors_origins())
            except StorageUnavailable as exc:
                # Start anyway: /ready reports the store, and the bucket is checked again next start.
                log.error("object storage not ready at start-up: %s", exc.detail)
            queue = open_queue(settings.redis)
            stack.push_async_callback(close_queue, queue)
            app.state.ingest = Ingest(settings, pool, storage, queue)
            log.info("API ready; storage %s bucket %s", settings.s3.endpoint_url, settings.s3.bucket)
            # Start-up objects live as long as the process: keep them out of every GC pass.
            gc.collect()
            gc.freeze()
            yield

    def provide_ingest(state: State) -> Ingest:
        ingest: Ingest = state.ingest
        return ingest

    return Litestar(
        route_handlers=[AssetController, health, ready, jobs_api, jobs_page, *frontend_routes()],
        dependencies={"ingest": Provide(provide_ingest, sync_to_thread=False)},
        lifespan=[resources],
        exception_handlers=errors.HANDLERS,
        request_max_body_size=settings.server.max_body_bytes,
        logging_config=None,  # the `dam` command configures logging once for the whole process
        openapi_config=OpenAPIConfig(
            title="DAM ingest API",
            version=dam.__version__,
            description="Create assets, upload straight to storage with presigned URLs, follow processing.",
            path=OPENAPI_PATH,
            render_plugins=[SwaggerRenderPlugin()],
        ),
    )
