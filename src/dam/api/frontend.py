"""The browser page (``frontend/``: plain HTML, CSS and JavaScript modules, no build step) at ``/``."""

from __future__ import annotations

from pathlib import Path

from litestar import MediaType, Router, get
from litestar.response import File
from litestar.static_files import create_static_files_router

_ROOT = Path(__file__).resolve().parents[3]


def frontend_dir() -> Path:
    """The ``frontend/`` folder of the checkout (or of the image's working directory)."""
    for base in (_ROOT, Path.cwd()):
        if (base / "frontend" / "index.html").exists():
            return base / "frontend"
    raise RuntimeError("cannot find the frontend/ folder; run from the project's directory")


def frontend_routes() -> list[Router]:
    """``/`` serves the page, ``/static/*`` its scripts and styles."""
    folder = frontend_dir()

    @get("/", media_type=MediaType.HTML, include_in_schema=False, sync_to_thread=False)
    def index() -> File:
        return File(folder / "index.html", content_disposition_type="inline", media_type=MediaType.HTML)

    page = Router(path="", route_handlers=[index])
    return [page, create_static_files_router(path="/static", directories=[folder], include_in_schema=False)]
