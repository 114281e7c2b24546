"""Network faults on loopback: a proxy that trickles bytes, and a forwarder that can be cut."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Coroutine
from typing import Any

# Loop turns between the accept of a connection and its ``client_connected_cb`` (accept task,
# transport, connection_made), with room to spare.
_ACCEPT_TURNS = 10


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pause: float, chunk: int) -> None:
    """Copy one direction until it ends, ``pause`` seconds before each chunk (the trickle itself)."""
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(chunk):
            if pause:
                await asyncio.sleep(pause)
            writer.write(data)
            await writer.drain()
    writer.close()


async def _forward(
    client_r: asyncio.StreamReader,
    client_w: asyncio.StreamWriter,
    upstream_port: int,
    writers: set[asyncio.StreamWriter],
    *,
    upload_delay: float = 0,
    delay: float = 0,
    chunk: int = 65536,
) -> None:
    """One client connection to ``upstream_port`` and back; its writers are kept in ``writers``
    (added before any await, so a connection taken while closing is closed too) and closed however
    it ends (cancelled included)."""
    writers.add(client_w)
    up_w: asyncio.StreamWriter | None = None
    try:
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            return
        writers.add(up_w)
        await asyncio.gather(_pipe(client_r, up_w, upload_delay, chunk), _pipe(up_r, client_w, delay, chunk))
    finally:
        for writer in (client_w, up_w):
            if writer is not None:
                writer.close()
                writers.discard(writer)


@contextlib.asynccontextmanager
async def slow_proxy(upstream_port: int, delay: float, upload_delay: float = 0) -> AsyncIterator[int]:
    """A loopback TCP proxy that trickles answers (and uploads); Host is passed through unchanged."""
    open_writers: set[asyncio.StreamWriter] = set()
    handlers: set[asyncio.Task[Any]] = set()

    def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        # A plain callback that starts its own task: the client's writer is known (and so closed at
        # the end) even when the task is cancelled before it first runs, and asyncio's own done
        # callback for a coroutine handler (which on 3.11 trips over a cancelled task and leaves the
        # socket open) is never involved.
        open_writers.add(client_w)
        task = asyncio.get_running_loop().create_task(
            _forward(
                client_r,
                client_w,
                upstream_port,
                open_writers,
                upload_delay=upload_delay,
                delay=delay,
                chunk=16384,
            )
        )
        handlers.add(task)
        task.add_done_callback(handlers.discard)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        # A connection accepted just before the close reaches ``handle`` a few loop turns later
        # (3.11 accepts in a task, then calls connection_made soon): let every such one arrive, so
        # its writer is known and closed below rather than left open after the test's loop ends.
        for _ in range(_ACCEPT_TURNS):
            await asyncio.sleep(0)
        # Handlers still running (a killed client's connection, one still connecting upstream) end
        # here, not when the session's loop is collected with their sockets unclosed.
        while pending := [task for task in handlers if not task.done()]:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        # Connections still open (a killed client's upload) would keep the upstream server from stopping.
        for writer in list(open_writers):
            writer.close()
        for writer in list(open_writers):
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        await server.wait_closed()


class Outlet:
    """A loopback TCP forwarder to ``upstream_port`` that can be cut (connections refused, open ones
    dropped) and restored on the same port: a dependency that dies and comes back at its address.

    It runs on an event loop of its own in a thread: the code under test may block the test's loop
    (Litestar's test client runs the lifespan through a blocking portal) while talking through it.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="outlet", daemon=True)
        self._thread.start()

    def _call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    async def up(self) -> int:
        """Listen (again, on the same port once it has one); returns the port."""
        self.port = await asyncio.to_thread(self._call, self._up())
        return self.port

    async def down(self) -> None:
        """Stop listening and drop every open connection."""
        await asyncio.to_thread(self._call, self._down())

    def close(self) -> None:
        """Cut, and stop the thread."""
        self._call(self._down())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    async def _up(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return int(self._server.sockets[0].getsockname()[1])

    async def _down(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for writer in list(self._writers):
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        self._writers.clear()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        await _forward(client_r, client_w, self.upstream_port, self._writers)


@contextlib.asynccontextmanager
async def outlet(upstream_port: int) -> AsyncIterator[Outlet]:
    """An ``Outlet`` that is up, and closed at the end."""
    plug = Outlet(upstream_port)
    try:
        await plug.up()
        yield plug
    finally:
        await asyncio.to_thread(plug.close)
