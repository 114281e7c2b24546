"""The bridge process: open its resources, run until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import signal

from dam.events.bridge import Bridge
from dam.settings import Settings
from dam.startup import BRIDGE, started


async def run_bridge(settings: Settings) -> None:
    """Serve until a stop signal; leaves no entry half-handled."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with started(settings, BRIDGE) as resources:
        await Bridge(resources).run(stop)
