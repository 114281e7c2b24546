"""The browser page (``dam/web/``, package data: plain HTML, CSS and JavaScript modules, no build
step) at ``/``."""

from __future__ import annotations

from litestar import MediaType, Router, get
from litestar.response import File
from litestar.static_files import create_static_files_router

from dam.api.access import policy
from dam.domain.access import ANONYMOUS
from dam.paths import web_dir


def frontend_routes() -> list[Router]:
    """``/`` serves the page, ``/static/*`` its scripts and styles."""
    folder = web_dir()

    @get("/", media_type=MediaType.HTML, include_in_schema=False, sync_to_thread=False, opt=policy(ANONYMOUS))
    def index() -> File:
        return File(folder / "index.html", content_disposition_type="inline", media_type=MediaType.HTML)

    page = Router(path="", route_handlers=[index])
    return [
        page,
        create_static_files_router(
            path="/static", directories=[folder], include_in_schema=False, opt=policy(ANONYMOUS)
        ),
    ]
