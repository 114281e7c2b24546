"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from dam.api import schemas as s
from dam.api.access import optional_principal, policy
from dam.api.errors import responses
from dam.domain.access import ANONYMOUS
from dam.domain.errors import Unavailable
from dam.resources import Resources
from dam.services.health import probes

CHECK_TIMEOUT = 3.0


@get(
    "/health",
    operation_id="getHealth",
    tags=["health"],
    summary="Liveness (touches nothing)",
    opt=policy(ANONYMOUS),
    responses=responses(400),
)
async def health() -> s.Health:
    """The process is up."""
    return s.Health()


@get(
    "/ready",
    operation_id="getReadiness",
    tags=["health"],
    summary="Readiness of PostgreSQL, Redis and S3",
    opt=policy(ANONYMOUS),
    responses={
        **responses(400),
        503: ResponseSpec(
            data_container=s.Readiness,
            description=(
                "A dependency does not answer: `failing` names it; `checks` says why to an operator"
                " (a signed-in operator's session), `unavailable` to anyone else"
            ),
            generate_examples=False,
        ),
    },
)
async def ready(
    request: Request[Any, Any, Any], resources: NamedDependency[Resources]
) -> Response[s.Readiness]:
    """200 when every dependency answers, else 503 naming the failing ones; why each fails (the
    driver's own words) is shown to operators only, others read `unavailable`."""
    checks = probes(resources)
    results = await asyncio.gather(*(_check(fn) for fn in checks.values()))
    states = dict(zip(checks, results, strict=True))
    failing = [name for name, state in states.items() if state != "ok"]
    if failing and not await _operator(request):
        states = {name: "ok" if state == "ok" else "unavailable" for name, state in states.items()}
    body = s.Readiness(status="unavailable" if failing else "ok", checks=states, failing=failing)
    if failing:
        return Response(body, status_code=503, headers={"Retry-After": str(Unavailable.retry_after)})
    return Response(body, status_code=200)


async def _operator(request: Request[Any, Any, Any]) -> bool:
    """Whether the request comes from a signed-in operator (decided within the checks' deadline: the
    database behind sessions may be the dependency that is down)."""
    try:
        principal = await asyncio.wait_for(optional_principal(request), CHECK_TIMEOUT)
    except TimeoutError:
        return False
    return principal is not None and principal.operator


async def _check(probe: Callable[[], Awaitable[object]]) -> str:
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT)
    except TimeoutError:
        return f"timeout after {CHECK_TIMEOUT:g}s"
    except Exception as exc:
        cause = exc.__cause__ or exc  # the driver's own words: "connection refused", "not accepting..."
        return f"error: {type(cause).__name__}: {cause}"[:300]
    return "ok"
