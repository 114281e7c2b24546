"""The headers every answer gets, added by one ``before_send`` hook: security headers (a
Content-Security-Policy on pages, ``nosniff`` and ``Referrer-Policy`` everywhere, HSTS behind
https), ``Cache-Control: private, no-store`` on API answers, and the request's ``X-Request-ID``.

Pages load scripts and styles from this origin only (no inline script, no inline handler); they talk
to the object store directly (uploads, thumbnails, the player's segments after the delivery path's
302), so the store's origin is named for images, media and connections. Swagger UI at ``/docs``
has a policy of its own (``docs.CSP``): it sets inline styles. A route that sets its own policy keeps
it (the web app's page allows its start-up script by hash, ``api/webapp.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from litestar.types import BeforeMessageSendHookHandler, Message, Scope

from dam.api import docs
from dam.api.requestlog import HEADER, request_id_of
from dam.settings import Settings


def page_csp(store_origin: str, scripts: Sequence[str] = (), style_attributes: Sequence[str] = ()) -> str:
    """The policy of the service's pages, given the origin browsers reach the store at (and the
    hashes, ``'sha256-...'``, of the inline scripts and style attributes a page may have: the web
    app's start-up script and its router's announcer)."""
    store = f" {store_origin}" if store_origin else ""
    script = " ".join(("'self'", *scripts))
    style = " ".join(("'self'", *(("'unsafe-hashes'", *style_attributes) if style_attributes else ())))
    return (
        f"default-src 'self'; script-src {script}; style-src {style};"
        f" img-src 'self' data: blob:{store}; media-src 'self' blob:{store}; connect-src 'self'{store};"
        " worker-src 'self' blob:; font-src 'self'; object-src 'none'; base-uri 'none';"
        " frame-ancestors 'none'"
    )


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL ('' for none)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# Files that carry no credential and no tenant's data: caches may keep them.
_CACHEABLE = ("/static/", "/docs")
_NO_STORE = (b"cache-control", b"private, no-store")


def answer_headers(settings: Settings) -> BeforeMessageSendHookHandler:
    """``before_send`` hook adding the headers; built once, so an answer costs one pass over its
    headers and a few appends (routed or not, error or not)."""
    everywhere = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
    if settings.server.secure_cookies:  # DAM_PUBLIC_URL is https
        everywhere.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    page = (b"content-security-policy", page_csp(origin_of(settings.s3.client_url)).encode())
    swagger = (b"content-security-policy", docs.CSP.encode())

    async def add(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers, html, cached, policed = [], False, False, False
        for name, value in message.get("headers", []):
            lower = bytes(name).lower()
            if lower == HEADER:
                continue  # ours replaces any the handler set
            html = html or (lower == b"content-type" and bytes(value).startswith(b"text/html"))
            cached = cached or lower == b"cache-control"
            policed = policed or lower == b"content-security-policy"  # a page with a policy of its own
            headers.append((name, value))
        headers += everywhere
        path = scope.get("path", "")
        if path.rstrip("/") == docs.PATH:
            headers.append(swagger)
        elif html and not policed:
            headers.append(page)
        # API answers carry presigned URLs, keys, tokens and a workspace's data, so neither the
        # browser nor anything between may keep them (unless the route said otherwise).
        if not cached and not path.startswith(_CACHEABLE):
            headers.append(_NO_STORE)
        headers.append((HEADER, request_id_of(scope).encode()))
        message["headers"] = headers

    return add
