"""The one place where errors become HTTP answers, all of the same JSON shape."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from dam.api.requestlog import route_of
from dam.api.schemas import ErrorBody
from dam.domain.errors import (
    Conflict,
    DamError,
    Forbidden,
    Gone,
    InvalidInput,
    MediaRejected,
    NotApplied,
    NotFound,
    PreconditionFailed,
    RateLimited,
    Unauthenticated,
    Unavailable,
    UploadRejected,
)
from dam.domain.search import InvalidSearch

log = logging.getLogger(__name__)

# The one statement of which domain error is which HTTP answer; the first matching class wins.
STATUS_OF: tuple[tuple[type[DamError], int], ...] = (
    (NotFound, 404),
    (InvalidSearch, 400),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (Gone, 410),
    (RateLimited, 429),
    (InvalidInput, 422),
    (Conflict, 409),
    (PreconditionFailed, 412),
    (NotApplied, 424),  # only ever one id's status in a bulk answer (RFC 4918's Failed Dependency)
    (UploadRejected, 422),
    (MediaRejected, 422),
    (Unavailable, 503),
)


# What each error status means, and one example of its body, as every route documents them.
_DOCUMENTED: dict[int, tuple[str, str, str]] = {
    400: (
        "The request does not parse or has the wrong shape: not JSON, a wrong type, an unknown or"
        " repeated field, a repeated query parameter (``extra`` names the field)",
        "invalid_request",
        "Object contains unknown field `colour` (body 'colour')",
    ),
    401: (
        "No usable credential: sign in (the session cookie) or send `Authorization: Bearer <API key>`;"
        " a malformed, unknown, expired or revoked key is 401 too",
        "unauthenticated",
        "sign in (POST /auth/login) or send an API key (Authorization: Bearer <key>)",
    ),
    403: (
        "The role does not allow this (or a browser write lacks its X-CSRF-Token)",
        "forbidden",
        "key with role viewer may not do this (needs contributor or higher)",
    ),
    404: (
        "No such asset (an asset of another workspace is answered the same way), or no such tag",
        "not_found",
        "asset 0b6c3f52-8a1e-4a55-9d1b-5f8e0c2d7a41 not found",
    ),
    409: (
        "The asset's state does not allow this",
        "conflict",
        "asset is ready; upload URLs are only issued while pending_upload",
    ),
    410: (
        "It was there and is no more: a used, revoked or expired invitation (an unknown one is 404), or"
        " a retired route (POST /members: use POST /invitations)",
        "gone",
        "this invitation has already been accepted",
    ),
    412: (
        "`If-Match` names a revision the asset no longer has: someone changed it since it was read;"
        " read it again (its `ETag`) and re-apply the change",
        "precondition_failed",
        'the asset is at revision 4 (ETag "4"), not the one If-Match names ("3"): read it again and'
        " re-apply the change",
    ),
    413: ("The body is larger than DAM_MAX_BODY_BYTES", "request_too_large", "Request Entity Too Large"),
    415: (
        "The request has a body that is not JSON",
        "unsupported_media_type",
        "the body must be JSON (Content-Type: application/json), not 'text/plain'",
    ),
    422: (
        "A value is unusable (a refused file name or content type, a size over the limit), or the"
        " stored object breaks a rule",
        "invalid_input",
        "filename must not contain path separators ('/' or '\\')",
    ),
    429: (
        "Too many failed attempts at a password (sign-in, password change, a share link's) for this"
        " account or link or from this address, too many anonymous requests (share-link opens,"
        " sign-in starts) from this address, or too many assets created with one upload token from"
        " this address; retry after the seconds of the Retry-After header",
        "rate_limited",
        "too many failed sign-ins; try again in 42 s",
    ),
    503: (
        "A dependency (PostgreSQL, storage, Redis) did not answer, or too many password checks are"
        " queued (`busy`); retry after the seconds of the Retry-After header",
        "database_unavailable",
        "the database is unavailable: connection refused",
    ),
}


def responses(*codes: int) -> dict[int, ResponseSpec]:
    """The documented error answers of a route, all of the ``ErrorBody`` shape, each with an example."""
    return {code: _spec(code) for code in codes}


def _spec(code: int) -> ResponseSpec:
    description, error, detail = _DOCUMENTED[code]
    example = Example(summary=error, value={"status_code": code, "detail": detail, "error": error})
    return ResponseSpec(
        data_container=ErrorBody, description=description, generate_examples=False, examples=[example]
    )


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
    if isinstance(exc, Unauthenticated):
        headers = {"WWW-Authenticate": 'Bearer realm="dam"'}
    elif isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, Unavailable):
        # The dependency's outage is logged once where it was seen (dam.outages), not per request.
        log.debug("%s %s: %s", request.method, route_of(request.scope), exc.detail)
        headers = {"Retry-After": str(exc.retry_after)}
    elif status >= 500:
        log.warning("%s %s: %s", request.method, route_of(request.scope), exc.detail)
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


# Stable codes of the framework's own refusals; any other status is "http_error".
_HTTP_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
}


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Framework errors (unknown route, wrong method, body too large...) in the same shape."""
    error = getattr(exc, "code", None) or _HTTP_CODES.get(exc.status_code, "http_error")
    return Response(
        _body(exc.status_code, exc.detail, error), status_code=exc.status_code, headers=exc.headers
    )


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """A bug: log it whole, answer without internals."""
    log.exception("unhandled error on %s %s", request.method, route_of(request.scope), exc_info=exc)
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
