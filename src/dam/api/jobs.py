"""The job dashboard's data: ``GET /api/jobs`` (the web app's ``/app/admin/jobs`` shows it)."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency

from dam.api.access import policy
from dam.api.errors import responses
from dam.domain.access import Policy, Principal, Scope
from dam.resources import Resources
from dam.services.dashboard import Overview, overview


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
