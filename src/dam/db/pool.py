"""The asyncpg pool behind a fair gate, with JSON codecs so jsonb columns round-trip as Python values.

Every call goes through the gate, which also says when the database is unavailable: connection
refused or dropped, a server shutting down or not accepting connections, no connection free in
time. Those become ``DatabaseUnavailable`` (503 with ``Retry-After`` in the API, a retry in
workers), logged once per outage; asyncpg reconnects on the next call once the server is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
import msgspec

from dam.domain.errors import DatabaseUnavailable
from dam.outages import Outage
from dam.settings import DatabaseSettings

log = logging.getLogger(__name__)
Record = asyncpg.Record
if TYPE_CHECKING:
    # What a transaction block gets: a pooled connection (asyncpg's proxy has a connection's methods).
    Connection: TypeAlias = asyncpg.pool.PoolConnectionProxy[Record]
else:
    Connection = asyncpg.pool.PoolConnectionProxy

# SQLSTATE classes meaning "the server is not there for us": 08 connection exception, 53 insufficient
# resources (too many connections), 57 operator intervention (shutdown, terminated, cancelled).
_UNAVAILABLE_CLASSES = ("08", "53", "57")
DATABASE = Outage("PostgreSQL")


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not serve us, as opposed to a bug or bad data."""
    if isinstance(exc, OSError | TimeoutError):  # refused, reset, unreachable; connect or query timeout
        return True
    if isinstance(exc, asyncpg.PostgresError):
        state = str(getattr(exc, "sqlstate", "") or "")
        if state[:2] in _UNAVAILABLE_CLASSES:
            return True
        # 55000 at connect: ALTER DATABASE ... ALLOW_CONNECTIONS false, or a database being dropped
        return state == "55000" and "accepting connections" in str(exc)
    if isinstance(exc, asyncpg.InterfaceError):
        return "closed" in str(exc)  # "connection is closed", "pool is closed"
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        # The server ended the connection just as a call began on it ("cannot switch to state 12;
        # another operation (2) is in progress"): our gate never shares a connection otherwise.
        return "in progress" in str(exc)
    return False


class Pool:
    """asyncpg's pool behind a FIFO gate that also turns outages into ``DatabaseUnavailable``.

    asyncpg hands a released connection to whichever caller asks next, so under load a newcomer
    can take it ahead of a caller already waiting, who then queues again at the back: a few
    requests starve and p99 latency balloons. ``asyncio.Semaphore`` serves waiters in order.
    """

    def __init__(self, pool: asyncpg.Pool[Record], size: int, *, wait: float = 10.0) -> None:
        self._pool = pool
        self._gate = asyncio.Semaphore(size)
        self._wait = wait

    async def __aenter__(self) -> None:
        if not self._gate.locked():
            await self._gate.acquire()  # free: no timer for the common case
            return
        try:
            async with asyncio.timeout(self._wait):
                await self._gate.acquire()
        except TimeoutError:
            DATABASE.failed(f"no connection free within {self._wait:g}s")
            raise DatabaseUnavailable("the database is busy: no connection was free in time") from None

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._gate.release()
        if exc is None:
            DATABASE.answered()
        elif unavailable(exc):
            DATABASE.failed(exc)
            raise DatabaseUnavailable("the database is unavailable; retry later") from exc

    async def fetchrow(self, query: str, *args: Any) -> Record | None:
        """One row, or None."""
        async with self:
            return await self._pool.fetchrow(query, *args)

    async def fetch(self, query: str, *args: Any) -> list[Record]:
        """All rows."""
        async with self:
            return await self._pool.fetch(query, *args)

    async def fetch_planned(self, query: str, *args: Any) -> list[Record]:
        """All rows, planned for these very arguments: a statement prepared afresh, so PostgreSQL
        never settles on a generic plan. Search needs that: whether walking an index newest first
        or reading every match is faster depends on how common the words are, which the planner
        reads from its statistics only when it sees the values."""
        async with self, self._pool.acquire() as conn:
            statement = await conn.prepare(query)
            return await statement.fetch(*args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        """The first column of the first row."""
        async with self:
            return await self._pool.fetchval(query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        """A statement; returns its status tag."""
        async with self:
            return await self._pool.execute(query, *args)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A connection inside a transaction, committed when the block ends without error.

        Only ``dam.services.unit`` opens one: services write through its unit of work.
        """
        async with self, self._pool.acquire() as conn, conn.transaction():
            yield conn

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A connection outside any transaction (each statement commits on its own)."""
        async with self, self._pool.acquire() as conn:
            yield conn

    async def close(self) -> None:
        """Close every connection."""
        await self._pool.close()


Queries: TypeAlias = "Pool | Connection"
"""Where a statement may run: on the pool, or on a connection inside the caller's transaction."""


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


class _OneLine(logging.Filter):
    """asyncpg logs a traceback each time it fails to refill the pool: one line, and none while the
    outage is already logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info is None:
            return True
        if DATABASE.down:
            return False
        exc = record.exc_info[1]
        record.msg, record.args = f"{record.getMessage()}: {type(exc).__name__}: {exc}", ()
        record.exc_info = record.exc_text = None
        return True


logging.getLogger("asyncpg.pool").addFilter(_OneLine())


async def create_pool(settings: DatabaseSettings) -> Pool:
    """Open the process's one pool; a database that is down now is connected to once it answers."""
    options: dict[str, Any] = {
        "max_size": settings.pool_max, "init": _init_connection, "reset": _keep_session,
        "command_timeout": 30, "timeout": settings.pool_timeout,
    }  # fmt: skip
    try:
        pool = await asyncpg.create_pool(settings.url, min_size=settings.pool_min, **options)
    except Exception as exc:
        if not unavailable(exc):
            raise
        DATABASE.failed(exc)
        log.error("PostgreSQL not reachable at start-up; connecting on first use once it answers")
        pool = await asyncpg.create_pool(settings.url, min_size=0, **options)
    return Pool(pool, settings.pool_max, wait=settings.pool_timeout)
