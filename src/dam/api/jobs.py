"""The job dashboard: ``GET /api/jobs`` (JSON) and ``GET /jobs`` (a plain HTML page polling it)."""

from __future__ import annotations

from pathlib import Path

from litestar import MediaType, get
from litestar.di import NamedDependency

from dam.api.access import policy
from dam.api.errors import responses
from dam.domain.access import ANONYMOUS, Policy, Principal, Scope
from dam.resources import Resources
from dam.services.dashboard import Overview, overview

_PAGE = (Path(__file__).parent / "jobs.html").read_text()


@get(
    "/api/jobs",
    operation_id="getJobs",
    tags=["jobs"],
    summary="Queue, running and recent jobs, bridge backlog, assets by status",
    responses=responses(400, 401, 403, 503),
    # Workspace admins see their workspace; operators everything.
    opt=policy(Policy(scope=Scope.MANAGE, operator=True)),
)
async def jobs_api(resources: NamedDependency[Resources], principal: NamedDependency[Principal]) -> Overview:
    """What the workers are doing (arq's own Redis data), steps by state and duration, failures:
    of the workspace for its admins, of the whole deployment for operators."""
    return await overview(resources, None if principal.operator else principal.workspace_id)


@get("/jobs", media_type=MediaType.HTML, include_in_schema=False, opt=policy(ANONYMOUS))
async def jobs_page() -> str:
    """The dashboard page (no build step: plain HTML and a little JavaScript)."""
    return _PAGE
