"""The service's own request line, in place of uvicorn's access log, and the request's id.

Paths carry bearer secrets: share links (``/s/{token}``, ``/shares/{token}``), upload tokens
(``/uploads/{token}/...``), stream tokens (``/stream/{token}/...``), invitations. A log line names the
route's template instead of the path, and never the query string, so no secret reaches a log.

Every request has an id: the client's ``X-Request-ID`` when it is a sane token (1-64 characters of
``A-Za-z0-9._-``), otherwise a new one. It is bound to every line written while the request is
served (``request_id``) and returned in the ``X-Request-ID`` header of every answer.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from dam import logs

log = logging.getLogger("dam.request")
UNROUTED = "<unrouted>"
HEADER = b"x-request-id"
_SANE = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")
_KEY = "dam.request_id"


def route_of(scope: Scope) -> str:
    """The template of the route a request matched (``/shares/{token:str}``), never its path."""
    template = scope.get("path_template")
    return template if isinstance(template, str) and template else UNROUTED


def request_id_of(scope: Scope) -> str:
    """The request's id: the client's ``X-Request-ID`` if sane, else a new one (kept in the scope)."""
    state = scope.setdefault("state", {})
    found = state.get(_KEY)
    if isinstance(found, str):
        return found
    given = next((value for name, value in scope.get("headers", ()) if name.lower() == HEADER), b"")
    made = given.decode("ascii") if _SANE.match(given) else uuid.uuid4().hex
    state[_KEY] = made
    return made


def request_log(app: ASGIApp) -> ASGIApp:
    """Middleware: one line per request (client, method, route template, status, milliseconds),
    every line of the request carrying its ``request_id``."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        with logs.bind(request_id=request_id_of(scope)):
            if not log.isEnabledFor(logging.INFO):
                await app(scope, receive, send)
                return
            await _logged(app, scope, receive, send)

    return middleware


async def _logged(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
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
        route, millis = route_of(scope), (time.perf_counter() - started) * 1000
        log.info(
            '%s "%s %s" %d %.1fms',
            client[0] if client else "-", scope.get("method", "-"), route, status, millis,
            extra={"route": route, "status": status, "duration_ms": round(millis, 1)},
        )  # fmt: skip
