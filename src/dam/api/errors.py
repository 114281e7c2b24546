"""The one place where errors become HTTP answers, all of the same JSON shape."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from dam.api.schemas import ErrorBody
from dam.domain.errors import (
    Conflict,
    DamError,
    InvalidInput,
    MediaRejected,
    NotFound,
    Unavailable,
    UploadRejected,
)

log = logging.getLogger(__name__)

# The one statement of which domain error is which HTTP answer; the first matching class wins.
STATUS_OF: tuple[tuple[type[DamError], int], ...] = (
    (NotFound, 404),
    (InvalidInput, 422),
    (Conflict, 409),
    (UploadRejected, 422),
    (MediaRejected, 422),
    (Unavailable, 503),
)


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=description, generate_examples=False)


# The error answers every asset route documents in OpenAPI, all with the ErrorBody shape.
ERROR_RESPONSES: dict[int, ResponseSpec] = {
    400: _spec("Malformed request (not JSON, wrong shape)"),
    404: _spec("No such asset"),
    409: _spec("The asset's state does not allow this"),
    422: _spec("A value is unusable, or the stored object / media breaks a rule"),
    503: _spec(
        "A dependency (PostgreSQL, storage, Redis) did not answer; retry after the seconds of the"
        " Retry-After header"
    ),
}


def status_of(exc: DamError) -> int:
    """The HTTP status of a domain error (500 for one the map does not know: a bug)."""
    return next((code for cls, code in STATUS_OF if isinstance(exc, cls)), HTTP_500_INTERNAL_SERVER_ERROR)


def _body(status_code: int, detail: str, error: str, extra: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": status_code, "detail": detail, "error": error}
    if extra:
        body["extra"] = extra
    return body


def dam_error(request: Request[Any, Any, Any], exc: DamError) -> Response[dict[str, Any]]:
    """Domain and storage errors, answered with the status ``STATUS_OF`` gives them."""
    status = status_of(exc)
    headers = None
    if isinstance(exc, Unavailable):
        # The dependency's outage is logged once where it was seen (dam.outages), not per request.
        log.debug("%s %s: %s", request.method, request.url.path, exc.detail)
        headers = {"Retry-After": str(exc.retry_after)}
    elif status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc.detail)
    return Response(_body(status, exc.detail, exc.code), status_code=status, headers=headers)


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    """Say which field is wrong and why, not just that validation failed."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    reasons = [
        f"{item.get('message')}" + (f" ({item.get('source')} {item.get('key')!r})" if item.get("key") else "")
        for item in extra
        if isinstance(item, dict)
    ]
    detail = "; ".join(reasons) or exc.detail
    return Response(_body(exc.status_code, detail, "invalid_request", extra), status_code=exc.status_code)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Framework errors (unknown route, wrong method, body too large...) in the same shape."""
    error = "request_too_large" if exc.status_code == 413 else "http_error"
    return Response(
        _body(exc.status_code, exc.detail, error), status_code=exc.status_code, headers=exc.headers
    )


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """A bug: log it whole, answer without internals."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response(
        _body(HTTP_500_INTERNAL_SERVER_ERROR, "internal error; it has been logged", "internal"),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


HANDLERS: ExceptionHandlersMap = {
    DamError: dam_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
