"""Stream-token generations: read from ``stream_generations`` and remembered per process.

Triggers bump a generation in the transaction that revokes or deletes what it names (migration
0015) and publish it with ``pg_notify`` on ``dam_stream_generations`` at commit. Each process that
checks stream tokens listens on one connection of its own and remembers the generations it has
read; a notification raises the remembered value at once, so a revocation reaches every API
process within the notification's delivery (milliseconds), and the delivery path reads the
database only for a subject it has not seen lately. Generations only grow: every update is a
``max``, so a read that raced a bump can never bring an older value back. While the listening
connection is down nothing is trusted from memory (every check reads the table) until it is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

import asyncpg

from dam.db.pool import Pool, Queries

log = logging.getLogger(__name__)

CHANNEL = "dam_stream_generations"
_TRUST = 300.0  # seconds a remembered generation is used without a read (bounds a lost notification)
_RETRY = 5.0  # seconds between attempts to listen again after the connection was lost
_MAX_KNOWN = 100_000  # subjects remembered at most (about 10 MB); past it memory starts over


async def current(queries: Queries, subjects: Sequence[str]) -> dict[str, int]:
    """The generation of each subject (0: never bumped)."""
    records = await queries.fetch(
        "SELECT subject, generation FROM stream_generations WHERE subject = ANY($1::text[])", list(subjects)
    )
    found = {r["subject"]: int(r["generation"]) for r in records}
    return {subject: found.get(subject, 0) for subject in subjects}


class Generations:
    """This process's memory of stream-token generations, kept current by the bumps' notifications."""

    def __init__(self, pool: Pool, url: str) -> None:
        self.pool = pool
        self.url = url
        self._known: dict[str, tuple[int, float]] = {}
        self._listener: asyncpg.Connection[Any] | None = None
        self._lock = asyncio.Lock()
        self._next_try = 0.0

    async def of(self, subjects: Sequence[str]) -> dict[str, int]:
        """The current generation of each subject: from memory when it is fresh, else the table."""
        trusted = await self._listening()
        now = time.monotonic()
        found: dict[str, int] = {}
        for subject in subjects:
            hit = self._known.get(subject) if trusted else None
            if hit is not None and now - hit[1] < _TRUST:
                found[subject] = hit[0]
        missing = [s for s in subjects if s not in found]
        if missing:
            read = await current(self.pool, missing)
            for subject, generation in read.items():
                found[subject] = self._remember(subject, generation, now) if trusted else generation
        return found

    def _remember(self, subject: str, generation: int, at: float) -> int:
        if len(self._known) >= _MAX_KNOWN:
            self._known.clear()
        held = self._known.get(subject)
        if held is not None and held[0] > generation:
            generation = held[0]
        self._known[subject] = (generation, at)
        return generation

    def _bumped(self, connection: Any, pid: int, channel: str, payload: object) -> None:
        subject, _, generation = str(payload).partition(":")
        if generation.isdigit():
            self._remember(subject, int(generation), time.monotonic())

    def _lost(self, connection: Any) -> None:
        if connection is not self._listener:
            return  # closed on purpose
        log.warning("stream generations: lost the listening connection; reading the table until it is back")
        self._listener = None
        self._known.clear()

    async def _listening(self) -> bool:
        """Whether notifications are arriving (starting to listen on first use, and again after a
        loss at most every few seconds)."""
        if self._listener is not None and not self._listener.is_closed():
            return True
        if time.monotonic() < self._next_try:
            return False
        async with self._lock:
            if self._listener is not None and not self._listener.is_closed():
                return True
            self._next_try = time.monotonic() + _RETRY
            self._known.clear()  # whatever was bumped while nobody listened
            try:
                connection = await asyncpg.connect(self.url, timeout=5)
                await connection.add_listener(CHANNEL, self._bumped)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("stream generations: cannot listen for bumps (%s); reading the table", exc)
                return False
            connection.add_termination_listener(self._lost)
            self._listener = connection
            return True

    async def close(self) -> None:
        """Stop listening."""
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()
