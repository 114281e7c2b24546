"""HEAD wherever GET is served, and an ``Allow`` header that lists every method of a path.

Litestar serves HEAD only on routes declared for it, and the ``OPTIONS`` answer it generates for
a path lists the methods of the first handler registered there (``GET`` and ``DELETE`` on one
path answered ``Allow: GET, OPTIONS``). This ASGI wrapper sits around the application's handler:
a HEAD request is routed as GET and answered with the GET's status and headers and no body; every
``Allow`` header is rewritten from the route table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE = "creates"
"""A GET route whose handler has ``opt={UNSAFE: True}`` changes state (Companion's ``/s3/params``
creates an asset): HEAD, which must be safe, is not served there."""


def serve_all_methods(app: Litestar) -> None:
    """Wrap ``app``'s ASGI handler (after every route is registered)."""
    safe = {route: _head_is_safe(route) for route in app.routes if isinstance(route, HTTPRoute)}
    allowed = {route.path_format: _allow_header(route.methods, head) for route, head in safe.items()}
    no_head = {route.path_format for route, head in safe.items() if not head}
    app.asgi_handler = _Methods(app.asgi_handler, allowed, no_head)


def _head_is_safe(route: HTTPRoute) -> bool:
    return not any(h.opt.get(UNSAFE) for h in route.route_handlers if "GET" in h.http_methods)


def _allow_header(methods: Iterable[str], head: bool = True) -> bytes:
    names = {str(m) for m in methods} | {"OPTIONS"}
    if "GET" in names and head:
        names.add("HEAD")
    return ", ".join(sorted(names)).encode()


class _Methods:
    def __init__(self, app: ASGIApp, allowed: dict[str, bytes], no_head: set[str]) -> None:
        self.app = app
        self.allowed = allowed
        self.no_head = [re.compile(re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(t))) for t in no_head]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        head = scope.get("method") == "HEAD" and not self._unsafe(scope)
        # A copy: the server keeps its own scope (it must still know the request was HEAD); the
        # router sets path_template on the one it is given.
        routed: Any = {**scope, "method": "GET"} if head else scope

        async def send_fixed(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = self._with_allow(routed, message)
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(routed, receive, send_fixed)

    def _unsafe(self, scope: Scope) -> bool:
        # Before routing the template is unknown: match the request path against the few unsafe
        # templates (``/s3/params``, and the same under ``/uploads/{token}``).
        path = scope.get("path", "").rstrip("/")
        return any(pattern.fullmatch(path) for pattern in self.no_head)

    def _with_allow(self, scope: Scope, message: Any) -> Any:
        headers = message.get("headers") or []
        if not any(name.lower() == b"allow" for name, _ in headers):
            return message
        allow = self.allowed.get(scope.get("path_template", ""))
        if allow is None:  # a 405 raised while routing: complete the router's own list
            given = next(value for name, value in headers if name.lower() == b"allow")
            allow = _allow_header(
                [m.strip() for m in given.decode("latin-1").split(",") if m.strip()], not self._unsafe(scope)
            )
        fixed = [(name, allow if name.lower() == b"allow" else value) for name, value in headers]
        return {**message, "headers": fixed}
