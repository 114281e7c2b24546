"""``GET /audit``: the log of who did what, for workspace admins (their workspace) and operators
(every workspace), filtered and keyset-paged."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from dam.api.access import policy
from dam.api.errors import responses
from dam.domain.access import Policy, Principal, Scope
from dam.domain.audit import Action, Filters, Row
from dam.domain.errors import InvalidInput
from dam.resources import Resources
from dam.services.audit import AuditLog

Uuid = Annotated[str | None, QueryParameter(max_length=36, schema_extra={"format": "uuid"})]


class AuditPage(msgspec.Struct, kw_only=True):
    """One page of ``GET /audit``, newest first."""

    items: list[Row]
    next_cursor: str | None


def _uuid(value: str | None, name: str) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a UUID") from None


def _moment(value: str | None, name: str) -> datetime | None:
    """An RFC 3339 time with its offset (``2026-12-03T09:00:00Z``)."""
    if value is None:
        return None
    text = value.strip()
    if len(text) > 10 and text[10] in "tT ":
        text = text[:10] + "T" + text[11:]
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text) if "T" in text else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput(f"{name} must be an RFC 3339 time with an offset, e.g. 2026-12-03T09:00:00Z")
    return moment


@get(
    "/audit", operation_id="listAudit", tags=["audit"], opt=policy(Policy(scope=Scope.MANAGE, operator=True)),
    responses=responses(400, 401, 403, 422, 503), summary="The audit log, newest first",
)  # fmt: skip
async def audit_log(
    principal: NamedDependency[Principal],
    resources: NamedDependency[Resources],
    actor: Uuid = None,
    action: FromQuery[Action | None] = None,
    asset: Uuid = None,
    since: Annotated[
        str | None,
        QueryParameter(
            max_length=64, description="From this time (inclusive)", schema_extra={"format": "date-time"}
        ),
    ] = None,
    until: Annotated[
        str | None,
        QueryParameter(max_length=64, description="Before this time", schema_extra={"format": "date-time"}),
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500, description="Page size")] = 100,
    cursor: Annotated[
        str | None, QueryParameter(max_length=512, description="`next_cursor` of the previous page")
    ] = None,
) -> AuditPage:
    """Sign-ins (failed ones too), keys, upload tokens, asset create, complete, delete and
    reprocess, share links made, revoked and used, member changes: who (a user, key, upload token,
    share link or the system), what, which asset, when, from which address, and the outcome.
    Workspace admins see their workspace; operators every workspace, sign-ins included. `actor`
    is a user, key, upload token or share link id."""
    filters = Filters(
        actor=_uuid(actor, "actor"),
        action=action,
        asset_id=_uuid(asset, "asset"),
        since=_moment(since, "since"),
        until=_moment(until, "until"),
    )
    page = await AuditLog(resources).page(principal, filters, cursor=cursor, limit=limit)
    return AuditPage(items=page.items, next_cursor=page.next_cursor)
