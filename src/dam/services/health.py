"""What readiness checks: one probe per dependency, each answering or raising."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from dam.db.assets import ping
from dam.resources import Resources

Probe = Callable[[], Awaitable[object]]


def probes(resources: Resources) -> dict[str, Probe]:
    """The dependencies ``GET /ready`` checks, by the name it reports them under."""
    return {
        "postgres": lambda: ping(resources.pool),
        "redis": resources.queue.ping,
        "s3": resources.storage.ping,
    }
