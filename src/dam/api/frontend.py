"""The browser's ways in outside ``/app/``: ``/`` and ``/jobs`` (the addresses of the pages the web
app replaced) lead into the app, and ``/static/*`` serves the stylesheet of the few pages answered
outside it (a share link or an invitation that is no longer valid)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_302_FOUND

from dam.api.access import policy
from dam.api.webapp import PREFIX
from dam.domain.access import ANONYMOUS
from dam.paths import pages_dir


@get("/", include_in_schema=False, sync_to_thread=False, opt=policy(ANONYMOUS))
def index(request: Request[Any, Any, Any]) -> Redirect:
    """The service's front door: the web app's library (or its sign-in), with the query kept (a
    refused single sign-on comes back to ``/?sso_error=...``, which the app's sign-in shows)."""
    query = request.url.query
    return Redirect(f"{PREFIX}/" + (f"?{query}" if query else ""), status_code=HTTP_302_FOUND)


@get("/jobs", include_in_schema=False, sync_to_thread=False, opt=policy(ANONYMOUS))
def jobs_page() -> Redirect:
    """The job dashboard's old address: the app's dashboard (which asks for what ``/api/jobs`` asks)."""
    return Redirect(f"{PREFIX}/admin/jobs", status_code=HTTP_302_FOUND)


def frontend_routes() -> list[Router]:
    """``/``, ``/jobs`` and ``/static/*``."""
    return [
        Router(path="", route_handlers=[index, jobs_page]),
        create_static_files_router(
            path="/static", directories=[pages_dir()], include_in_schema=False, opt=policy(ANONYMOUS)
        ),
    ]
