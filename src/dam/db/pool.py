"""The asyncpg pool behind a fair gate, with JSON codecs so jsonb columns round-trip as Python values."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
import msgspec

from dam.settings import DatabaseSettings

Record = asyncpg.Record
if TYPE_CHECKING:
    # What a transaction block gets: a pooled connection (asyncpg's proxy has a connection's methods).
    Connection: TypeAlias = asyncpg.pool.PoolConnectionProxy[Record]
else:
    Connection = asyncpg.pool.PoolConnectionProxy


class Pool:
    """asyncpg's pool behind a FIFO gate.

    asyncpg hands a released connection to whichever caller asks next, so under load a newcomer
    can take it ahead of a caller already waiting, who then queues again at the back: a few
    requests starve and p99 latency balloons. ``asyncio.Semaphore`` serves waiters in order.
    """

    def __init__(self, pool: asyncpg.Pool[Record], size: int) -> None:
        self._pool = pool
        self._gate = asyncio.Semaphore(size)

    async def fetchrow(self, query: str, *args: Any) -> Record | None:
        """One row, or None."""
        async with self._gate:
            return await self._pool.fetchrow(query, *args)

    async def fetch(self, query: str, *args: Any) -> list[Record]:
        """All rows."""
        async with self._gate:
            return await self._pool.fetch(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        """The first column of the first row."""
        async with self._gate:
            return await self._pool.fetchval(query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        """A statement; returns its status tag."""
        async with self._gate:
            return await self._pool.execute(query, *args)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A connection inside a transaction, committed when the block ends without error."""
        async with self._gate, self._pool.acquire() as conn, conn.transaction():
            yield conn

    async def close(self) -> None:
        """Close every connection."""
        await self._pool.close()


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, schema="pg_catalog", encoder=_encode_json, decoder=msgspec.json.decode
        )


def _encode_json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


async def _keep_session(conn: asyncpg.Connection[Any]) -> None:
    """Skip the RESET round trip on every release.

    The service sets no session state (no SET, LISTEN, advisory lock or cursor outlives a call),
    so there is nothing to undo.
    """


async def create_pool(settings: DatabaseSettings) -> Pool:
    """Open the process's one pool."""
    pool = await asyncpg.create_pool(
        settings.url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        init=_init_connection,
        reset=_keep_session,
        command_timeout=30,
    )
    return Pool(pool, settings.pool_max)
