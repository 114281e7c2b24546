"""``/docs``: Swagger UI served from the service itself, so it works offline and under a strict CSP.

Litestar's Swagger plugin loads Swagger UI from a CDN and starts it with an inline script: a blank
page on a machine without internet, and one a Content-Security-Policy of ``script-src 'self'``
would block. Here the page, the starter script and Swagger UI's own files (from the pinned
``swagger-ui-py`` wheel, which ships swagger-ui-dist) all come from this origin.
"""

from __future__ import annotations

import html
import importlib.resources
from pathlib import Path
from typing import Any

from litestar import MediaType, Request, Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath
from litestar.response import File

from dam.api.access import policy
from dam.domain.access import ANONYMOUS

PATH = "/docs"  # Swagger UI here; the document at /docs/openapi.json
ASSETS = "/docs/assets"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
    " connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HERE = Path(__file__).parent / "docs"
_FILES: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (Path(), "text/javascript"),
    "swagger-ui.css": (Path(), "text/css"),
    "favicon-32x32.png": (Path(), "image/png"),
}


def _swagger_dir() -> Path:
    return Path(str(importlib.resources.files("swagger_ui") / "static"))


class LocalSwagger(OpenAPIRenderPlugin):
    """Swagger UI with every file served by the service."""

    def __init__(self) -> None:
        super().__init__(path="/", media_type=MediaType.HTML)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The page shell; Swagger UI fills it from the document."""
        title = html.escape(str(openapi_schema.get("info", {}).get("title", "API")))
        spec = html.escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{ASSETS}/favicon-32x32.png">
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body data-openapi="{spec}">
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/init.js"></script>
</body>
</html>
""".encode()


def docs_assets() -> Router:
    """``/docs/assets/{name}``: the few files the page loads, and nothing else of the wheel."""
    files = {name: (_swagger_dir() / name, media) for name, (_, media) in _FILES.items()}
    files["init.js"] = (_HERE / "init.js", "text/javascript")
    missing = [str(path) for path, _ in files.values() if not path.is_file()]
    if missing:
        raise RuntimeError(f"documentation assets are missing: {missing}")

    @get("/{name:str}", include_in_schema=False, sync_to_thread=False, cache=False, opt=policy(ANONYMOUS))
    def asset(name: FromPath[str]) -> File:
        if name not in files:
            raise NotFoundException(f"no documentation asset {name!r}")
        path, media = files[name]
        return File(path, content_disposition_type="inline", media_type=media)

    return Router(path=ASSETS, route_handlers=[asset])
