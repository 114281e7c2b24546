"""The service's own request line, in place of uvicorn's access log.

Paths carry bearer secrets: share links (``/s/{token}``, ``/shares/{token}``), upload tokens
(``/uploads/{token}/...``), stream tokens (``/stream/{token}/...``), invitations. A log line names the
route's template instead of the path, and never the query string, so no secret reaches a log.
"""

from __future__ import annotations

import logging
import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("dam.request")
UNROUTED = "<unrouted>"


def route_of(scope: Scope) -> str:
    """The template of the route a request matched (``/shares/{token:str}``), never its path."""
    template = scope.get("path_template")
    return template if isinstance(template, str) and template else UNROUTED


def request_log(app: ASGIApp) -> ASGIApp:
    """Middleware: one line per request (client, method, route template, status, milliseconds)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not log.isEnabledFor(logging.INFO):
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            client = scope.get("client")
            log.info(
                '%s "%s %s" %d %.1fms',
                client[0] if client else "-",
                scope.get("method", "-"),
                route_of(scope),
                status,
                (time.perf_counter() - started) * 1000,
            )

    return middleware
