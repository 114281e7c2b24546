"""Network faults on loopback: a proxy that trickles bytes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


@contextlib.asynccontextmanager
async def slow_proxy(upstream_port: int, delay: float, upload_delay: float = 0) -> AsyncIterator[int]:
    """A loopback TCP proxy that trickles answers (and uploads); Host is passed through unchanged."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pause: float) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(16384):
                await asyncio.sleep(pause)  # the trickle itself, not a wait for something
                writer.write(data)
                await writer.drain()
        writer.close()

    open_writers: set[asyncio.StreamWriter] = set()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        open_writers.add(client_w)  # before any await: a connection taken while closing is closed too
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            client_w.close()
            return
        open_writers.add(up_w)
        await asyncio.gather(pipe(client_r, up_w, upload_delay), pipe(up_r, client_w, delay))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        # Connections still open (a killed client's upload) would keep the upstream server from stopping.
        for writer in open_writers:
            writer.close()
        for writer in open_writers:
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        await server.wait_closed()
