"""The web app (``frontend/app/``, SvelteKit built into ``dam/web/app/``) at ``/app/``.

A single-page app: every ``/app/...`` path without a file of its own answers the app's
``index.html`` (the app's router reads the path), except under ``/app/_app/``, where a missing
file is a 404 (a stale page asking for an old chunk must fail, not get HTML). ``/app/`` itself, the
library where nearly every visit starts, answers ``library.html``: the same page with the library's
modules preloaded beside the entry (the build writes it). Hashed files under
``_app/immutable/`` are cached for a year; everything else is revalidated on every use. Each file
has gzip and brotli copies made at build time, served to clients that accept them.

The page's one inline script (SvelteKit's start-up script) is allowed by its hash, which the build
writes to ``csp.json`` (read once at start-up), as is the one style attribute of its scripts'
templates (SvelteKit's route announcer, with ``'unsafe-hashes'``); nothing else inline, no eval.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Annotated, Any

from litestar import MediaType, Request, Router, get
from litestar.params import PathParameter
from litestar.response import File, Response

from dam.api.access import policy
from dam.api.headers import origin_of, page_csp
from dam.domain.access import ANONYMOUS
from dam.domain.errors import NotFound
from dam.paths import app_dir
from dam.settings import Settings

PREFIX = "/app"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Preferred first: brotli is about a fifth smaller than gzip on the app's scripts.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
PAGES = ("index.html", "library.html")  # answered for the app's paths, never by their own names
NOT_BUILT = "The web app is not built: run `make app` (make run and make test build it)."


def inline_hashes(root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The CSP sources (``'sha256-...'``) of the page's inline scripts and of the static style
    attributes in its scripts' templates, from the build's manifest."""
    try:
        manifest = json.loads((root / "csp.json").read_text())
    except FileNotFoundError:
        return (), ()
    scripts = tuple(f"'{h}'" for h in manifest["script_hashes"])
    return scripts, tuple(f"'{h}'" for h in manifest.get("style_attribute_hashes", []))


def accepted(header: str) -> set[str]:
    """The content codings an ``Accept-Encoding`` header accepts (``q=0`` refuses one)."""
    names = set()
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            names.add(name.strip())
    return names


def _file(path: Path, cache: str, request: Request[Any, Any, Any], extra: dict[str, str]) -> File:
    """``path`` itself or its precompressed copy, with its cache lifetime."""
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding", **extra}
    codings = accepted(request.headers.get("accept-encoding", ""))
    for coding, suffix in ENCODINGS:
        variant = path.with_name(path.name + suffix)
        if (coding in codings or "*" in codings) and variant.is_file():
            headers["Content-Encoding"] = coding
            path = variant
            break
    return File(path, media_type=media_type, content_disposition_type="inline", headers=headers, etag=None)


def app_routes(settings: Settings) -> Router:
    """``/app`` and everything below it."""
    root = app_dir().resolve()
    csp = page_csp(origin_of(settings.s3.client_url), *inline_hashes(root))

    def answer(request: Request[Any, Any, Any], path: str) -> File | Response[str]:
        target = (root / path.lstrip("/")).resolve()
        if target.is_relative_to(root) and target.is_file() and target.name not in PAGES:
            cache = IMMUTABLE if target.is_relative_to(root / "_app" / "immutable") else REVALIDATE
            return _file(target, cache, request, {})
        if path.lstrip("/").startswith("_app/"):
            raise NotFound(f"no file {PREFIX}{path[:200]}")
        page = root / ("library.html" if path.strip("/") == "" else "index.html")
        if not page.is_file():
            return Response(NOT_BUILT, media_type=MediaType.TEXT, status_code=503)
        return _file(page, REVALIDATE, request, {"Content-Security-Policy": csp})

    @get(PREFIX, include_in_schema=False, sync_to_thread=False, opt=policy(ANONYMOUS))
    def index(request: Request[Any, Any, Any]) -> File | Response[str]:
        return answer(request, "/")

    @get(f"{PREFIX}/{{path:path}}", include_in_schema=False, sync_to_thread=False, opt=policy(ANONYMOUS))
    def anything(
        request: Request[Any, Any, Any], path: Annotated[str, PathParameter()]
    ) -> File | Response[str]:
        return answer(request, path)

    return Router(path="", route_handlers=[index, anything])
