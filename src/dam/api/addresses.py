"""The client address of a request: the one helper the rate limits, the principal (and so the audit
log) and the anonymous routes use. ``X-Forwarded-For`` and ``Forwarded`` are believed only from
the peers of ``DAM_TRUSTED_PROXIES`` (see ``domain/addresses.py``)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from dam.domain.addresses import client_address as _client_address
from dam.domain.addresses import networks

ADDRESS = "dam.address"


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client's address (worked out once per request)."""
    known = connection.scope.get(ADDRESS)
    if isinstance(known, str):
        return known
    settings = connection.app.state.resources.settings
    peer = connection.client.host if connection.client else None
    headers = connection.headers
    address = _client_address(
        peer,
        headers.getall("x-forwarded-for", []),
        headers.getall("forwarded", []),
        networks(settings.server.trusted_proxies),
    )
    connection.scope[ADDRESS] = address  # type: ignore[literal-required]
    return address
