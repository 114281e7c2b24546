"""The job dashboard: ``GET /api/jobs`` (JSON) and ``GET /jobs`` (a plain HTML page polling it)."""

from __future__ import annotations

from pathlib import Path

from litestar import MediaType, get
from litestar.di import NamedDependency

from dam.ingest import Ingest
from dam.jobs.overview import Overview, overview

_PAGE = (Path(__file__).parent / "jobs.html").read_text()


@get("/api/jobs", tags=["jobs"], summary="Queue, running and recent jobs, bridge backlog, assets by status")
async def jobs_api(ingest: NamedDependency[Ingest]) -> Overview:
    """What the workers are doing, from arq's own Redis data."""
    return await overview(ingest.queue, ingest.pool, ingest.settings.worker.events_key)


@get("/jobs", media_type=MediaType.HTML, include_in_schema=False)
async def jobs_page() -> str:
    """The dashboard page (no build step: plain HTML and a little JavaScript)."""
    return _PAGE
