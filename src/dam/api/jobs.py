"""The job dashboard: ``GET /api/jobs`` (JSON) and ``GET /jobs`` (a plain HTML page polling it)."""

from __future__ import annotations

from pathlib import Path

from litestar import MediaType, get
from litestar.di import NamedDependency

from dam.api.errors import responses
from dam.resources import Resources
from dam.services.dashboard import Overview, overview

_PAGE = (Path(__file__).parent / "jobs.html").read_text()


@get(
    "/api/jobs",
    operation_id="getJobs",
    tags=["jobs"],
    summary="Queue, running and recent jobs, bridge backlog, assets by status",
    responses=responses(400, 503),
)
async def jobs_api(resources: NamedDependency[Resources]) -> Overview:
    """What the workers are doing (arq's own Redis data), steps by state and duration, failures."""
    return await overview(resources)


@get("/jobs", media_type=MediaType.HTML, include_in_schema=False)
async def jobs_page() -> str:
    """The dashboard page (no build step: plain HTML and a little JavaScript)."""
    return _PAGE
