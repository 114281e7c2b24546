"""Outages of the services around us, logged once when they begin and once when they end.

A database that is down for a minute fails every request in that minute; a warning per request
would bury the one line an operator needs. Each dependency (PostgreSQL, the object store, Redis)
has one ``Outage`` per process: the first failure logs a warning with its cause, later failures
are only counted, and the first success after it logs how long it lasted. ``recoveries`` counts the
outages that ended, so a watcher (``dam.jobs.wake``) sees a return it did not cause itself.
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("dam.outages")


class Outage:
    """One dependency's state as this process has seen it (safe to use from worker threads)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._since: float | None = None
        self._failures = 0
        self._lock = threading.Lock()
        self.recoveries = 0  # outages that ended in this process

    @property
    def down(self) -> bool:
        """True between a failure and the next success."""
        return self._since is not None

    def failed(self, cause: BaseException | str) -> None:
        """A call failed because the dependency did not answer; only the first of an outage is logged."""
        with self._lock:
            self._failures += 1
            if self._since is not None:
                return
            self._since = time.monotonic()
        reason = cause if isinstance(cause, str) else f"{type(cause).__name__}: {cause}"
        log.warning(
            "%s unavailable: %s (further failures are not logged until it answers)", self.name, reason
        )

    def answered(self) -> None:
        """A call succeeded; ends an outage if one was going on."""
        if self._since is None:  # the common case: one attribute read
            return
        with self._lock:
            if self._since is None:
                return
            lasted, failures = time.monotonic() - self._since, self._failures
            self._since, self._failures = None, 0
            self.recoveries += 1
        log.warning("%s answers again after %.1fs (%d calls failed meanwhile)", self.name, lasted, failures)
