"""Application factory: one place registers controllers, error handlers and process resources."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from litestar import Litestar, Request, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig

import dam
from dam.api import docs, errors, openapi
from dam.api.access import access_guard, check_policies, principal_of
from dam.api.accounts import AccountsController, AccountServices, AuthController
from dam.api.assets import AssetController, Services
from dam.api.audit import audit_log
from dam.api.body import StrictRequest
from dam.api.bulk import BulkController
from dam.api.collections import CollectionController
from dam.api.companion import Companion, CompanionController
from dam.api.docs import LocalSwagger, docs_assets
from dam.api.enrichment import EnrichmentController, duplicates
from dam.api.examples import examples
from dam.api.frontend import frontend_routes
from dam.api.headers import answer_headers
from dam.api.health import health, ready
from dam.api.hosts import check_host
from dam.api.invitations import InvitationController, InvitationServices, invite_page
from dam.api.jobs import jobs_api
from dam.api.methods import serve_all_methods
from dam.api.query import strict_query
from dam.api.requestlog import request_log
from dam.api.schema import SchemaController
from dam.api.search import SearchController
from dam.api.shares import ShareController, share_page
from dam.api.sso import SsoController
from dam.api.stream import stream_file
from dam.api.tags import TagController
from dam.api.trash import empty_trash, list_trash
from dam.api.upload_tokens import UploadTokenController
from dam.api.webapp import app_routes
from dam.api.webhooks import WebhookController
from dam.domain.access import Principal
from dam.services.accounts import Accounts
from dam.services.assets import Assets
from dam.services.auth import Auth
from dam.services.bulk import BulkChanges
from dam.services.collections import Collections
from dam.services.companion import CompanionUploads
from dam.services.edits import Edits
from dam.services.enrichment import Enrichments
from dam.services.invitations import Invitations
from dam.services.schema import Schemas
from dam.services.search import Search
from dam.services.shares import Shares
from dam.services.sso import Sso
from dam.services.streams import Streams
from dam.services.tags import Tags
from dam.services.upload_tokens import UploadTokens
from dam.services.uploads import Uploads
from dam.services.webhooks import Webhooks
from dam.settings import Settings
from dam.startup import API, started

log = logging.getLogger(__name__)

OPENAPI_PATH = docs.PATH


def api_cors(settings: Settings) -> CORSConfig:
    """Browser pages on the origins of ``DAM_CORS_ORIGINS`` (the API's own by default) may call the
    API, as they may PUT and POST to the bucket: Uppy on another site talks to both."""
    return CORSConfig(
        allow_origins=list(settings.cors_origins()),
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization", "X-CSRF-Token", "X-Workspace", "If-Match"],
        expose_headers=["Retry-After", "Location", "X-Request-ID", "ETag"],
        max_age=3600,
    )


def before_request(settings: Settings) -> Callable[[Request[Any, Any, Any]], Awaitable[None]]:
    """The hook run before a handler's body, query or dependencies are read: the Host allow-list,
    the route's access policy, then the query string's strictness. (A Litestar guard would do the
    policy as well, but Litestar copies the handler for every guard call: 3% of a `POST /assets`.)"""
    hosts = settings.server.hosts()

    async def hook(request: Request[Any, Any, Any]) -> None:
        check_host(request, hosts)
        await access_guard(request, request.route_handler)
        await strict_query(request)

    return hook


# What the lifespan opens once and every request may ask for by name, from ``app.state``.
PROVIDED = (
    "resources", "services", "companion", "accounts", "invitations", "shares", "sso", "streams",
    "upload_tokens", "tags", "collections", "search", "bulk", "schemas", "enrichments", "webhooks",
)  # fmt: skip
# The asset and Companion routes all act as a principal. Their use cases are resolved after it
# (``principal`` is a sub-dependency), so Litestar resolves the two one after the other instead of
# in a task group of their own: that task group cost ~10% of a `POST /assets`.
ACTING = frozenset({"services", "companion", "bulk"})


def from_state(name: str, *, acting: bool = False) -> Provide:
    """The dependency ``name``: what the lifespan put in ``app.state`` under that name (``acting``:
    resolved after the request's principal)."""

    def provide(state: State) -> Any:
        return getattr(state, name)

    def provide_acting(state: State, principal: NamedDependency[Principal]) -> Any:
        return getattr(state, name)

    return Provide(provide_acting if acting else provide, sync_to_thread=False)


@functools.cache
def _freeze_start_up_objects() -> None:
    """Start-up objects (modules, the first app and its resources) live as long as the process:
    keep them out of every GC pass. Once per process: an app built and stopped many times in one
    process (as the tests do) would otherwise make each one's objects permanent, cycles and all."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings) -> Litestar:
    """Build the API for the given settings."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with started(settings, API) as resources:
            app.state.resources = resources
            app.state.services = Services(Uploads(resources), Assets(resources), Edits(resources))
            app.state.tags = Tags(resources)
            app.state.bulk = BulkChanges(resources)
            app.state.companion = Companion(CompanionUploads(resources), Assets(resources))
            app.state.auth = Auth(resources)
            app.state.accounts = AccountServices(app.state.auth, Accounts(resources))
            app.state.invitations = InvitationServices(app.state.auth, Invitations(resources))
            app.state.shares = Shares(resources, app.state.auth)
            app.state.sso = Sso(resources, app.state.auth)
            app.state.streams = Streams(resources)
            app.state.upload_tokens = UploadTokens(resources)
            app.state.collections = Collections(resources)
            app.state.search = Search(resources)
            app.state.enrichments = Enrichments(resources)
            app.state.schemas = Schemas(resources)
            app.state.webhooks = Webhooks(resources)
            log.info("API ready; storage %s bucket %s", settings.s3.endpoint_url, settings.s3.bucket)
            _freeze_start_up_objects()
            yield

    app = Litestar(
        route_handlers=[
            AssetController,
            WebhookController,
            BulkController,
            CompanionController,
            # The same routes for pages on other sites: the upload token in the path is the credential.
            Router(path="/uploads/{token:str}", route_handlers=[CompanionController]),
            AuthController,
            SsoController,
            AccountsController,
            InvitationController,
            invite_page(),
            UploadTokenController,
            ShareController,
            TagController,
            share_page(),
            CollectionController,
            SearchController,
            EnrichmentController,
            duplicates,
            list_trash,
            empty_trash,
            SchemaController,
            stream_file,
            audit_log,
            health,
            ready,
            jobs_api,
            docs_assets(),
            *frontend_routes(),
            app_routes(settings),
        ],
        dependencies={
            "principal": Provide(principal_of, sync_to_thread=False),
            **{name: from_state(name, acting=name in ACTING) for name in PROVIDED},
        },
        lifespan=[lifespan],
        exception_handlers=errors.HANDLERS,
        request_class=StrictRequest,
        middleware=[request_log],
        cors_config=api_cors(settings),
        before_request=before_request(settings),
        before_send=[answer_headers(settings)],
        request_max_body_size=settings.server.max_body_bytes,
        logging_config=None,  # the `dam` command configures logging once for the whole process
        openapi_config=OpenAPIConfig(
            title="DAM ingest API",
            version=dam.__version__,
            description="Create assets, upload straight to storage with presigned URLs, follow processing.",
            path=OPENAPI_PATH,
            render_plugins=[LocalSwagger()],
        ),
    )
    check_policies(app)
    openapi.finish(app, examples())
    serve_all_methods(app)
    return app
