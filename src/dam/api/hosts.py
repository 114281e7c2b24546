"""The hosts a request may be addressed to (``DAM_ALLOWED_HOSTS``).

Without ``DAM_PUBLIC_URL`` the API builds the URLs it hands out (upload tokens' Companion endpoints,
share links, stream URLs, single sign-on's redirect) from the request's own address: a forged
``Host`` would make them point elsewhere. Requests naming another host are refused before anything
else runs; the probes (``/health``, ``/ready``) build no URL and answer whatever the host, so an
orchestrator may probe a pod by its address.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException

PROBES = frozenset({"/health", "/ready"})


class DisallowedHost(HTTPException):
    """The request's Host is not one of ``DAM_ALLOWED_HOSTS``."""

    status_code = 400
    code = "invalid_host"


def host_name(header: str) -> str:
    """The name in a ``Host`` header: without its port, lowercase, without a trailing dot."""
    value = header.strip().lower()
    if value.startswith("["):  # [::1]:8000
        value = value[1 : value.find("]")] if "]" in value else value[1:]
    elif value.count(":") == 1:
        value = value.rsplit(":", 1)[0]
    return value.rstrip(".")


def allowed(name: str, patterns: tuple[str, ...]) -> bool:
    """Whether a host name matches the allow-list (``*`` any, ``.example.com`` it and its subdomains)."""
    for pattern in patterns:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith(".") and (name == pattern[1:] or name.endswith(pattern)):
            return True
    return False


def check_host(connection: ASGIConnection[Any, Any, Any, Any], patterns: tuple[str, ...]) -> None:
    """Refuse (400 ``invalid_host``) a request addressed to a host outside the allow-list."""
    if connection.scope["path"] in PROBES:
        return
    header = connection.headers.get("host", "")
    if not header or not allowed(host_name(header), patterns):
        raise DisallowedHost(
            detail=f"requests to host {header[:100]!r} are not served here; allowed: {', '.join(patterns)}"
            " (DAM_ALLOWED_HOSTS)"
        )
