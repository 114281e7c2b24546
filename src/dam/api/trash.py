"""The workspace's trash: what was deleted and can still be restored (``GET /trash``), and emptying
it (``DELETE /trash``, admins). An asset goes in with ``DELETE /assets/{id}`` and comes back with
``POST /assets/{id}/restore``."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, delete, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK

from dam.api import schemas as s
from dam.api.access import policy, public_base
from dam.api.assets import Limit, Services
from dam.api.errors import responses
from dam.domain.access import Principal, Scope, needs


class Emptied(msgspec.Struct, frozen=True, kw_only=True):
    """What emptying the trash did."""

    purged: int


@get(
    "/trash",
    operation_id="listTrash",
    summary="The workspace's trash, the last deleted first",
    tags=["assets"],
    opt=policy(needs(Scope.READ)),
    responses=responses(400, 401, 403, 422, 503),
)
async def list_trash(
    principal: NamedDependency[Principal],
    services: NamedDependency[Services],
    request: Request[Any, Any, Any],
    limit: Limit = 50,
    cursor: Annotated[
        str | None, QueryParameter(max_length=512, description="`next_cursor` of the previous page")
    ] = None,
) -> s.AssetPage:
    """Trashed assets (`status: "trashed"`), each with `trashed_at`, `trashed_by` (the user who
    deleted it, or whose key did; null for the system) and `purge_at`, when it is deleted for good.
    Keyset-paginated like `GET /assets`."""
    page = await services.assets.trash(principal, limit, cursor)
    base = public_base(request)
    return s.AssetPage(items=[s.asset_out(d, base) for d in page.items], next_cursor=page.next_cursor)


@delete(
    "/trash",
    operation_id="emptyTrash",
    summary="Empty the trash: delete everything in it for good (admins)",
    tags=["assets"],
    status_code=HTTP_200_OK,
    opt=policy(needs(Scope.MANAGE)),
    responses=responses(401, 403, 503),
)
async def empty_trash(principal: NamedDependency[Principal], services: NamedDependency[Services]) -> Emptied:
    """Every trashed asset of the workspace leaves storage now and becomes `deleted`, as it would at
    its `purge_at`; how many."""
    return Emptied(purged=await services.assets.empty_trash(principal))
